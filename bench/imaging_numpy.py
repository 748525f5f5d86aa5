#!/usr/bin/env python3
"""Independent NumPy/SciPy computation of the VOI statistics that bench/imaging.bench.ts computes.

Also MATV per lesion label (fixed 2.5 and 41 % SUVmax) with 26-connected components per lesion and for
the patient union.

Usage: imaging_numpy.py DIR [META]   (DIR holds meta.json (or give another META file), and image.f32 (float32, i fastest) and labels.u8, or
the same volumes as uncompressed NIfTI-1 files image.nii (float32) and labels.nii (uint8) — the files
`carto suv` reads in the whole-process comparison)
Prints one JSON object: {"seconds": …, "peakRssMiB": …, "vois": [{label, voxelCount, volumeMl, suvMin,
suvMax, suvMean, suvMedian, suvSd, suvPeakLocal, suvPeakGlobal, matvMl}, …]}, plus "gaussianSeconds"
(scipy.ndimage.gaussian_filter, σ = FWHM/2.3548 per axis, truncate 4) when meta.json has gaussianFwhmMm.
With meta "mode": "gaussian" only the filter is run (and, with "matv": true, MATV at SUV >= 2.5 of the filtered
image per label, as `carto matv --filter-fwhm-mm` computes it): {"gaussianSeconds", "gaussianCpuSeconds",
"peakRssMiB"[, "matv"]}.

Definitions as in src/imaging/voi-stats.ts (IBSI 1): population SD; SUVpeak = mean of the image voxels
whose centres lie within r = (3/(4π))^(1/3) cm of the centre voxel (voxels outside the image do not
exist); local = at the VOI maximum (highest over ties), global = highest over VOI voxels; MATV = volume
of VOI voxels with SUV >= threshold. The sphere sums are computed here the NumPy way: a zero-padded
cumulative sum along x, then one shifted-slice difference per (dy, dz) row of the sphere, over the whole
bounding box of the labelled voxels grown by the sphere's reach (and the same on an indicator of the image
to count existing voxels at the borders).
"""
import json
import os
import resource
import sys
import time

import numpy as np
from scipy import ndimage


def read_nifti1(path: str, dtype, shape):
    """Voxels of an uncompressed little-endian NIfTI-1 file (checks sizeof_hdr, dims and datatype)."""
    with open(path, "rb") as f:
        hdr = f.read(348)
    assert np.frombuffer(hdr, "<i4", 1, 0)[0] == 348, f"{path}: not a little-endian NIfTI-1 file"
    dims = np.frombuffer(hdr, "<i2", 8, 40)
    code = np.frombuffer(hdr, "<i2", 1, 70)[0]
    assert tuple(dims[1:4]) == shape[::-1], f"{path}: dims {dims[1:4]} != {shape[::-1]}"
    assert code == {np.float32: 16, np.uint8: 2}[dtype], f"{path}: datatype {code}"
    offset = int(np.frombuffer(hdr, "<f4", 1, 108)[0])
    return np.fromfile(path, dtype=np.dtype(dtype).newbyteorder("<"), offset=offset).reshape(shape)


def gaussian_only(meta, img, lab):
    """scipy.ndimage.gaussian_filter of the image (float64 sums, float32 output, truncate 4, reflect border);
    with meta "matv": then MATV at SUV >= 2.5 of the filtered image in every listed label (voxels and 26-connected
    components per label, voxels and components of their union) -- what `carto matv --filter-fwhm-mm` reports."""
    sx, sy, sz = meta["spacingMm"]
    sigma = [meta["gaussianFwhmMm"] / (2 * np.sqrt(2 * np.log(2))) / s for s in (sz, sy, sx)]
    t1 = time.perf_counter()
    c1 = time.process_time()
    f = ndimage.gaussian_filter(img, sigma=sigma, truncate=4.0, output=np.float32)
    res = {"gaussianSeconds": time.perf_counter() - t1, "gaussianCpuSeconds": time.process_time() - c1}
    if meta.get("matv"):
        s26 = np.ones((3, 3, 3), dtype=bool)
        objs = ndimage.find_objects(lab)
        per = []
        for L in meta["labels"]:
            sl = objs[L - 1]
            act = (lab[sl] == L) & (f[sl].astype(np.float64) >= 2.5)
            per.append({"label": L, "voxelCount": int(act.sum()), "componentCount": int(ndimage.label(act, structure=s26)[1])})
        lut = np.zeros(256, dtype=bool)
        lut[meta["labels"]] = True
        union = lut[lab] & (f.astype(np.float64) >= 2.5)
        res["matv"] = {"lesions": per, "patientVoxels": int(union.sum()), "patientComponents": int(ndimage.label(union, structure=s26)[1])}
    res["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return res


def main() -> None:
    d = sys.argv[1]
    meta = json.load(open(sys.argv[2] if len(sys.argv) > 2 else f"{d}/meta.json"))
    nx, ny, nz = meta["size"]
    sx, sy, sz = meta["spacingMm"]
    thr = meta["matvThresholdSuv"]
    labels_wanted = meta["labels"]
    if os.path.exists(f"{d}/image.nii"):
        img = read_nifti1(f"{d}/image.nii", np.float32, (nz, ny, nx))
        lab = read_nifti1(f"{d}/labels.nii", np.uint8, (nz, ny, nx))
    else:
        img = np.fromfile(f"{d}/image.f32", dtype=np.float32).reshape(nz, ny, nx)
        lab = np.fromfile(f"{d}/labels.u8", dtype=np.uint8).reshape(nz, ny, nx)

    if meta.get("mode") == "gaussian":
        print(json.dumps(gaussian_only(meta, img, lab)))
        return

    t0 = time.perf_counter()
    c0 = time.process_time()
    idx = np.asarray(labels_wanted)
    counts = ndimage.sum_labels(np.ones_like(lab, dtype=np.float64), lab, idx)
    sums = ndimage.sum_labels(img.astype(np.float64), lab, idx)
    mins = ndimage.minimum(img, lab, idx)
    maxs = ndimage.maximum(img, lab, idx)
    var = ndimage.variance(img.astype(np.float64), lab, idx)  # population variance
    medians = ndimage.median(img, lab, idx)
    above = ndimage.sum_labels((img >= thr).astype(np.float64), lab, idx)

    # Sphere runs: rows (dz, dy) with half-length h along x, centres within r.
    r = 10.0 * (3.0 / (4.0 * np.pi)) ** (1.0 / 3.0)
    rk, rj = int(np.floor(r / sz + 1e-9)), int(np.floor(r / sy + 1e-9))
    runs = []
    for dk in range(-rk, rk + 1):
        for dj in range(-rj, rj + 1):
            rest = r * r * (1 + 1e-9) - (dk * sz) ** 2 - (dj * sy) ** 2
            if rest < 0:
                continue
            h = int(np.floor(np.sqrt(rest) / sx + 1e-12))
            while ((h + 1) * sx) ** 2 <= rest:
                h += 1
            while h >= 0 and (h * sx) ** 2 > rest:
                h -= 1
            if h >= 0:
                runs.append((dk, dj, h))
    H = max(h for _, _, h in runs)
    # Work on the bounding box of all labelled voxels grown by the sphere's reach (clipped to the image):
    # every sphere around a VOI voxel lies inside it, and where the box meets the image border the zero
    # padding below stands for voxels that do not exist (they are not counted: indicator N).
    nzs = np.nonzero(lab.any(axis=(1, 2)))[0]
    nys = np.nonzero(lab.any(axis=(0, 2)))[0]
    nxs = np.nonzero(lab.any(axis=(0, 1)))[0]
    z0, z1 = max(0, nzs[0] - rk), min(nz, nzs[-1] + rk + 1)
    y0, y1 = max(0, nys[0] - rj), min(ny, nys[-1] + rj + 1)
    x0, x1 = max(0, nxs[0] - H), min(nx, nxs[-1] + H + 1)
    box = (slice(z0, z1), slice(y0, y1), slice(x0, x1))
    bz, by, bx = z1 - z0, y1 - y0, x1 - x0
    # Zero-padded cumulative sums along x (padded index = x + H + 1).
    pad = ((rk, rk), (rj, rj), (H + 1, H))
    C = np.cumsum(np.pad(img[box].astype(np.float64), pad), axis=2)
    N = np.cumsum(np.pad(np.ones((bz, by, bx), dtype=np.float32), pad), axis=2, dtype=np.float32)
    S = np.zeros((bz, by, bx), dtype=np.float64)
    K = np.zeros((bz, by, bx), dtype=np.float32)
    for dk, dj, h in runs:
        zs = slice(rk + dk, rk + dk + bz)
        ys = slice(rj + dj, rj + dj + by)
        hi = slice(H + 1 + h, H + 1 + h + bx)
        lo = slice(H - h, H - h + bx)
        S += C[zs, ys, hi] - C[zs, ys, lo]
        K += N[zs, ys, hi] - N[zs, ys, lo]
    del C, N
    peak = np.zeros((nz, ny, nx), dtype=np.float64)
    peak[box] = S / K
    del S, K
    glob = ndimage.maximum(peak, lab, idx)
    # Local peak: highest sphere mean over the voxels that hold the VOI maximum (ties).
    objs = ndimage.find_objects(lab)
    local = []
    for n, L in enumerate(labels_wanted):
        sl = objs[L - 1]
        if sl is None:
            local.append(float("nan"))
            continue
        sel = (lab[sl] == L) & (img[sl] == maxs[n])
        local.append(float(peak[sl][sel].max()))
    # MATV per lesion (fixed SUV 2.5 and 41 % of the lesion SUVmax): active = lesion voxels >= threshold;
    # 26-connected components per lesion (scipy.ndimage.label) and of the patient union.
    lesions = meta["lesionLabels"]
    s26 = np.ones((3, 3, 3), dtype=bool)
    matv = {}
    for rule in ("fixed2.5", "percentMax41") if lesions else ():  # no lesions: statistics only
        thr_lut = np.full(256, np.inf, dtype=np.float64)
        per = []
        for L in lesions:
            mx = float(maxs[labels_wanted.index(L)])
            t = 2.5 if rule == "fixed2.5" else 0.41 * mx
            thr_lut[L] = t
            sl = objs[L - 1]
            act = (lab[sl] == L) & (img[sl].astype(np.float64) >= t)  # compare in double, as the TS code
            ncomp = ndimage.label(act, structure=s26)[1]
            per.append({"label": L, "thresholdSuv": t, "voxelCount": int(act.sum()), "componentCount": int(ncomp)})
        union = img.astype(np.float64) >= thr_lut[lab]
        matv[rule] = {
            "lesions": per,
            "patientVoxels": int(union.sum()),
            "patientComponents": int(ndimage.label(union, structure=s26)[1]),
        }
        del union
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    vml = sx * sy * sz / 1000.0
    out = []
    for n, L in enumerate(labels_wanted):
        c = float(counts[n])
        out.append(
            {
                "label": int(L),
                "voxelCount": int(c),
                "volumeMl": c * vml,
                "suvMin": float(mins[n]),
                "suvMax": float(maxs[n]),
                "suvMean": float(sums[n] / c),
                "suvMedian": float(medians[n]),
                "suvSd": float(np.sqrt(var[n])),
                "suvPeakLocal": local[n],
                "suvPeakGlobal": float(glob[n]),
                "matvMl": float(above[n]) * vml,
            }
        )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    res = {"seconds": seconds, "cpuSeconds": cpu, "peakRssMiB": peak_mib, "vois": out, "matv": matv}
    if "gaussianFwhmMm" in meta:
        sigma = [meta["gaussianFwhmMm"] / (2 * np.sqrt(2 * np.log(2))) / s for s in (sz, sy, sx)]
        t1 = time.perf_counter()
        ndimage.gaussian_filter(img, sigma=sigma, truncate=4.0, output=np.float32)
        res["gaussianSeconds"] = time.perf_counter() - t1
    print(json.dumps(res))


if __name__ == "__main__":
    main()
