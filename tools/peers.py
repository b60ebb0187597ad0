#!/usr/bin/env python3
"""Times the mixup of torchvision v2 and timm on the batches of `cargo bench --bench batch`, next to
an in-place pass over the same bytes, so that their figures can stand beside ours in the README.

Not run by CI (it needs torch, torchvision and timm):

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install torch torchvision timm
    /tmp/peers/bin/python tools/peers.py            # one thread, as the crate's one-thread mix
    /tmp/peers/bin/python tools/peers.py --threads 2

For every batch it prints the best of several runs (interleaved, so that a busy machine slows
every contender alike) of:

* `pass`: `x.mul_(0.5).add_(0.25)` in place, one read and one write per element, the same bound
  the Rust bench uses;
* `torchvision.transforms.v2.MixUp` (one λ per batch, partner = the batch rolled by one; it
  returns new tensors);
* `timm.data.Mixup` with `mode="batch"` (one λ per batch, partner = the batch flipped; in place).

torchvision's MixUp refuses uint8 images, so the uint8 rows time timm's `FastCollateMixup`
instead, which mixes uint8 images into a new uint8 batch (partner = flipped) and is timm's loader
path.
"""

import argparse
import os
import platform
import time


def caches():
    base = "/sys/devices/system/cpu/cpu0/cache"
    parts = []
    for index in range(8):
        path = f"{base}/index{index}"
        try:
            level = open(f"{path}/level").read().strip()
            kind = open(f"{path}/type").read().strip()
            size = open(f"{path}/size").read().strip()
        except OSError:
            break
        if kind == "Instruction":
            continue
        parts.append(f"L{level}{'d' if kind == 'Data' else ''} {size}")
    return ", ".join(parts) or "cache sizes unknown"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fmt(seconds):
    """Milliseconds, with three significant digits for the small batches."""
    ms = seconds * 1e3
    return f"{ms:.2f} ms" if ms >= 1 else f"{ms * 1e3:.1f} µs"


def best_of(fn, reps):
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--batches", default="64,256,512", help="batch sizes of 3x224x224")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()

    import torch
    import timm
    import torchvision
    from timm.data import FastCollateMixup, Mixup
    from torchvision.transforms import v2

    torch.set_num_threads(args.threads)
    print(f"{cpu_model()}; {caches()}; {os.cpu_count()} logical CPUs")
    print(
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, timm {timm.__version__}, "
        f"{args.threads} thread(s)"
    )
    classes = 1000
    shapes = [(b, 3, 224, 224) for b in map(int, args.batches.split(","))] + [(128, 3, 32, 32)]
    for shape in shapes:
        b = shape[0]
        x = torch.rand(shape)
        y = torch.randint(0, classes, (b,))
        tv = v2.MixUp(alpha=1.0, num_classes=classes)
        tm = Mixup(mixup_alpha=1.0, cutmix_alpha=0.0, mode="batch", label_smoothing=0.0, num_classes=classes)
        reps = 3 if x.numel() > 10**7 else 20
        times = {"pass": float("inf"), "torchvision v2 MixUp": float("inf"), "timm Mixup": float("inf")}
        for _ in range(args.rounds):
            times["pass"] = min(times["pass"], best_of(lambda: x.mul_(0.5).add_(0.25), reps))
            times["torchvision v2 MixUp"] = min(times["torchvision v2 MixUp"], best_of(lambda: tv(x, y), reps))
            times["timm Mixup"] = min(times["timm Mixup"], best_of(lambda: tm(x, y), reps))
        mb = x.numel() * 4 / 1e6
        line = ", ".join(f"{k} {fmt(v)}" for k, v in times.items())
        print(f"f32 {'x'.join(map(str, shape))} ({mb:.1f} MB): {line}")
        for k in ("torchvision v2 MixUp", "timm Mixup"):
            print(f"    {k}: {times['pass'] / times[k]:.2f}x the in-place pass")

        # uint8: timm's collate path (torchvision's MixUp raises on uint8 images).
        images = torch.randint(0, 256, shape[1:], dtype=torch.uint8)
        samples = [(images.numpy().copy(), int(c)) for c in y]
        collate = FastCollateMixup(mixup_alpha=1.0, cutmix_alpha=0.0, mode="batch", num_classes=classes)
        xu = torch.randint(0, 256, shape, dtype=torch.uint8)
        pass_u8 = min(best_of(lambda: xu.bitwise_right_shift_(1).add_(16), reps) for _ in range(args.rounds))
        coll = min(best_of(lambda: collate(samples), reps) for _ in range(args.rounds))
        print(
            f"u8  {'x'.join(map(str, shape))} ({mb / 4:.1f} MB): pass {fmt(pass_u8)}, "
            f"timm FastCollateMixup {fmt(coll)} ({pass_u8 / coll:.2f}x the in-place pass)"
        )


if __name__ == "__main__":
    main()
