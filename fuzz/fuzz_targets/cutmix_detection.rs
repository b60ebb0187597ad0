//! `CutMix::sample`, `CutMix::rect_for_lambda` and `mix_detection` with arbitrary image sizes
//! (huge ones included), λ, ratio ranges, boxes (NaN, inverted, outside the image) and buffer
//! lengths: no panic; rectangles inside the image with λ the exact unpasted fraction; detection
//! refused exactly for invalid input with nothing written, otherwise the canvas is the blend of
//! the two images onto zeros, element by element, and the boxes are both lists with weights
//! λ and 1 − λ in [0, 1].
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    ChannelOrder, CutMix, DetectionBox, DetectionImage, WeightedBox, applied_lambda, blend,
    canvas_len, canvas_size, mix_detection, unpasted_fraction,
};
use mixup_fuzz::{ScriptedRng, any_f64, shape, unit_f64};

fn side(u: &mut Unstructured<'_>) -> Result<usize> {
    Ok(match u.int_in_range(0..=7)? {
        0 => usize::MAX - u.int_in_range(0..=3)?,
        1 => 1 << u.int_in_range(0..=63)?,
        _ => u.int_in_range(0..=300)?,
    })
}

fn cutmix(u: &mut Unstructured<'_>) -> Result<()> {
    let Ok(mut c) = CutMix::new(shape(u)?) else {
        return Ok(());
    };
    if u.arbitrary()? {
        let Ok(r) = c.with_ratio_range(unit_f64(u)?, unit_f64(u)?) else {
            return Ok(());
        };
        c = r;
    }
    let (h, w) = (side(u)?, side(u)?);
    let mut rng: ScriptedRng = u.arbitrary()?;
    let check = |r: mixup::Rect, l: f64| {
        assert!(
            r.y1 <= r.y2 && r.y2 <= h && r.x1 <= r.x2 && r.x2 <= w,
            "{r:?} in {h}x{w}"
        );
        assert!((0.0..=1.0).contains(&l));
        assert_eq!(l, unpasted_fraction(h, w, &r));
        if let (Some(total), Some(area)) = (h.checked_mul(w), r.height().checked_mul(r.width()))
            && total > 0
            && total < 1 << 53
        {
            assert_eq!(l, (total - area) as f64 / total as f64);
        }
    };
    let (r, l) = c.sample(&mut rng, h, w);
    check(r, l);
    if let Some((lo, hi)) = c.ratio_range()
        && h > 0
        && h < 1 << 40
    {
        assert!(r.height() >= (h as f64 * lo) as usize && r.height() <= (h as f64 * hi) as usize);
    }
    let lambda = if u.ratio(1, 8)? {
        any_f64(u)?
    } else {
        unit_f64(u)?
    };
    match CutMix::rect_for_lambda(&mut rng, h, w, lambda) {
        Ok((r, l)) => {
            assert!((0.0..=1.0).contains(&lambda));
            check(r, l);
            assert!(
                l >= lambda || h == 0 || w == 0 || (l - lambda).abs() < 1e-9,
                "{l} < {lambda}"
            );
        }
        Err(_) => assert!(!(0.0..=1.0).contains(&lambda)),
    }
    Ok(())
}

fn coord(u: &mut Unstructured<'_>, max: usize) -> Result<f32> {
    Ok(match u.int_in_range(0..=9)? {
        0 => any_f64(u)? as f32,
        1 => max as f32 + 0.5,
        _ => u.int_in_range(0..=2 * max as u32)? as f32 / 2.0,
    })
}

fn boxes(u: &mut Unstructured<'_>, h: usize, w: usize) -> Result<Vec<DetectionBox>> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        v.push(DetectionBox {
            bbox: [coord(u, w)?, coord(u, h)?, coord(u, w)?, coord(u, h)?],
            class: u.arbitrary()?,
        });
    }
    Ok(v)
}

fn box_ok(b: &DetectionBox, h: usize, w: usize) -> bool {
    let [x1, y1, x2, y2] = b.bbox;
    0.0 <= x1 && x1 <= x2 && x2 <= w as f32 && 0.0 <= y1 && y1 <= y2 && y2 <= h as f32
}

fn detection(u: &mut Unstructured<'_>) -> Result<()> {
    let c = u.int_in_range(0..=3)?;
    let order = if u.arbitrary()? {
        ChannelOrder::Hwc
    } else {
        ChannelOrder::Chw
    };
    let (ha, wa, hb, wb) = (
        u.int_in_range(0..=9)?,
        u.int_in_range(0..=9)?,
        u.int_in_range(0..=9)?,
        u.int_in_range(0..=9)?,
    );
    let la = c * ha * wa + usize::from(u.ratio(1, 24)?);
    let lb = c * hb * wb;
    let mut da = Vec::new();
    for _ in 0..la {
        da.push(u.arbitrary::<u8>()?);
    }
    let mut db = Vec::new();
    for _ in 0..lb {
        db.push(u.arbitrary::<u8>()?);
    }
    let (ba, bb) = (boxes(u, ha, wa)?, boxes(u, hb, wb)?);
    let lambda = if u.ratio(1, 8)? {
        any_f64(u)?
    } else {
        unit_f64(u)?
    };
    let (h, w) = canvas_size((ha, wa), (hb, wb));
    let clen = canvas_len(c, (ha, wa), (hb, wb)).unwrap() + usize::from(u.ratio(1, 24)?);
    let blen = (ba.len() + bb.len()).saturating_sub(usize::from(u.ratio(1, 16)?))
        + u.int_in_range(0..=2)?;
    let mut canvas = vec![7u8; clen];
    let mut out = vec![
        WeightedBox {
            bbox: [-1.0; 4],
            class: 9,
            weight: -1.0
        };
        blen
    ];
    let valid = la == c * ha * wa
        && clen == c * h * w
        && blen >= ba.len() + bb.len()
        && (0.0..=1.0).contains(&lambda)
        && ba.iter().all(|b| box_ok(b, ha, wa))
        && bb.iter().all(|b| box_ok(b, hb, wb));
    let a = DetectionImage {
        data: &da,
        height: ha,
        width: wa,
        boxes: &ba,
    };
    let b = DetectionImage {
        data: &db,
        height: hb,
        width: wb,
        boxes: &bb,
    };
    let r = mix_detection(&mut canvas, &mut out, &a, &b, c, order, lambda);
    assert_eq!(r.is_ok(), valid, "{r:?}");
    let Ok(done) = r else {
        assert!(canvas.iter().all(|&x| x == 7));
        assert!(out.iter().all(|x| x.weight == -1.0));
        return Ok(());
    };
    assert_eq!(
        (done.height, done.width, done.boxes),
        (h, w, ba.len() + bb.len())
    );
    assert_eq!(done.lambda, applied_lambda::<u8>(lambda).unwrap());
    for (k, x) in out.iter().enumerate() {
        if k < ba.len() + bb.len() {
            let src = if k < ba.len() {
                ba[k]
            } else {
                bb[k - ba.len()]
            };
            assert_eq!((x.bbox, x.class), (src.bbox, src.class));
            assert!((0.0..=1.0).contains(&x.weight));
            let want = if k < ba.len() {
                done.lambda
            } else {
                1.0 - done.lambda
            };
            assert_eq!(x.weight, want as f32);
            assert!(box_ok(&src, h, w));
        } else {
            assert_eq!(x.weight, -1.0, "box past the end written");
        }
    }
    let at = |d: &[u8], ih: usize, iw: usize, ch: usize, y: usize, x: usize| -> u8 {
        if y >= ih || x >= iw {
            return 0;
        }
        match order {
            ChannelOrder::Chw => d[(ch * ih + y) * iw + x],
            ChannelOrder::Hwc => d[(y * iw + x) * c + ch],
        }
    };
    for ch in 0..c {
        for y in 0..h {
            for x in 0..w {
                let k = match order {
                    ChannelOrder::Chw => (ch * h + y) * w + x,
                    ChannelOrder::Hwc => (y * w + x) * c + ch,
                };
                let mut o = [0u8];
                blend(
                    &mut o,
                    &[at(&da, ha, wa, ch, y, x)],
                    &[at(&db, hb, wb, ch, y, x)],
                    lambda,
                )
                .unwrap();
                assert_eq!(canvas[k], o[0], "({ch}, {y}, {x})");
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.arbitrary::<bool>() {
        Ok(true) => cutmix(&mut u),
        Ok(false) => detection(&mut u),
        Err(e) => Err(e),
    };
});
