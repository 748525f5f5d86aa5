;; Separable Gaussian filter: the line/plane convolutions of src/imaging/filter.ts in WebAssembly SIMD
;; (f64x2; no relaxed SIMD, no fused multiply-add). Every output is computed with the same float64
;; operations in the same order as the scalar TypeScript (`foldedLine`, `borderLine` in filter.ts), so the
;; results are bit-identical to it:
;;   interior:  acc = c·x[t];  acc = acc + w_d·(x[t − d] + x[t + d]) for d = r … 1;  out = f32(acc · scale)
;;   border:    acc = 0;  acc = acc + k_u·x[u] for u = lo … hi;  w = 0 + k_lo + … + k_hi;  out = f32(acc / w)
;; The input tile is float64 (the float32 values widened exactly by `widen`), so x[t − d] + x[t + d] is the
;; same double sum as the scalar code's; the output tile is float32 (rounded to nearest, as a Float32Array
;; store rounds).
;; Assembled by scripts/build-wasm.mjs (wabt) into src/imaging/gaussian-simd-wasm.ts; driven by
;; src/imaging/gaussian-simd.ts. All addresses are byte offsets into the exported memory, which the driver
;; lays out and grows.
(module
  (memory (export "memory") 1)

  ;; $n float32 at $from → float64 at $to (exact widening).
  (func $widen (export "widen") (param $from i32) (param $to i32) (param $n i32)
    (local $v v128)
    (local $end i32)
    (local.set $end (i32.add (local.get $from) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $from) (local.get $end)))
        (local.set $v (v128.load (local.get $from)))
        (v128.store (local.get $to) (f64x2.promote_low_f32x4 (local.get $v)))
        (v128.store offset=16 (local.get $to)
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))))
        (local.set $from (i32.add (local.get $from) (i32.const 16)))
        (local.set $to (i32.add (local.get $to) (i32.const 32)))
        (br $four)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done1
      (loop $one
        (br_if $done1 (i32.ge_u (local.get $from) (local.get $end)))
        (f64.store (local.get $to) (f64.promote_f32 (f32.load (local.get $from))))
        (local.set $from (i32.add (local.get $from) (i32.const 4)))
        (local.set $to (i32.add (local.get $to) (i32.const 8)))
        (br $one))))

  ;; Interior outputs: $len adjacent outputs (float32 at $dst …) of a symmetric kernel of radius $r
  ;; (float64 weights at $kern, 2r + 1 of them) whose centre taps are the float64 values at $src …;
  ;; the taps at distance d are $src ∓ d·$step bytes. Eight outputs per step (four f64x2 accumulators),
  ;; then two, then one.
  (func $folded (param $src i32) (param $step i32) (param $len i32) (param $kern i32) (param $r i32)
    (param $scale f64) (param $dst i32)
    (local $i i32) (local $d i32) (local $pa i32) (local $pb i32) (local $pk i32)
    (local $c v128) (local $w v128) (local $sc v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $s f64)
    (local.set $c (f64x2.splat (f64.load (i32.add (local.get $kern) (i32.shl (local.get $r) (i32.const 3))))))
    (local.set $sc (f64x2.splat (local.get $scale)))
    ;; eight at a time
    (block $done8
      (loop $eight
        (br_if $done8 (i32.gt_s (i32.add (local.get $i) (i32.const 8)) (local.get $len)))
        (local.set $pa (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $a0 (f64x2.mul (local.get $c) (v128.load (local.get $pa))))
        (local.set $a1 (f64x2.mul (local.get $c) (v128.load offset=16 (local.get $pa))))
        (local.set $a2 (f64x2.mul (local.get $c) (v128.load offset=32 (local.get $pa))))
        (local.set $a3 (f64x2.mul (local.get $c) (v128.load offset=48 (local.get $pa))))
        (local.set $pb (i32.add (local.get $pa) (i32.mul (local.get $r) (local.get $step))))
        (local.set $pa (i32.sub (local.get $pa) (i32.mul (local.get $r) (local.get $step))))
        (local.set $pk (local.get $kern))
        (local.set $d (local.get $r))
        (block $doneD
          (loop $taps
            (br_if $doneD (i32.eqz (local.get $d)))
            (local.set $w (f64x2.splat (f64.load (local.get $pk))))
            (local.set $a0 (f64x2.add (local.get $a0)
              (f64x2.mul (local.get $w) (f64x2.add (v128.load (local.get $pa)) (v128.load (local.get $pb))))))
            (local.set $a1 (f64x2.add (local.get $a1)
              (f64x2.mul (local.get $w)
                (f64x2.add (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pb))))))
            (local.set $a2 (f64x2.add (local.get $a2)
              (f64x2.mul (local.get $w)
                (f64x2.add (v128.load offset=32 (local.get $pa)) (v128.load offset=32 (local.get $pb))))))
            (local.set $a3 (f64x2.add (local.get $a3)
              (f64x2.mul (local.get $w)
                (f64x2.add (v128.load offset=48 (local.get $pa)) (v128.load offset=48 (local.get $pb))))))
            (local.set $pa (i32.add (local.get $pa) (local.get $step)))
            (local.set $pb (i32.sub (local.get $pb) (local.get $step)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
            (local.set $d (i32.sub (local.get $d) (i32.const 1)))
            (br $taps)))
        (local.set $pa (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store64_lane 0 (local.get $pa)
          (f32x4.demote_f64x2_zero (f64x2.mul (local.get $a0) (local.get $sc))))
        (v128.store64_lane offset=8 0 (local.get $pa)
          (f32x4.demote_f64x2_zero (f64x2.mul (local.get $a1) (local.get $sc))))
        (v128.store64_lane offset=16 0 (local.get $pa)
          (f32x4.demote_f64x2_zero (f64x2.mul (local.get $a2) (local.get $sc))))
        (v128.store64_lane offset=24 0 (local.get $pa)
          (f32x4.demote_f64x2_zero (f64x2.mul (local.get $a3) (local.get $sc))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $eight)))
    ;; two at a time
    (block $done2
      (loop $two
        (br_if $done2 (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $len)))
        (local.set $pa (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $a0 (f64x2.mul (local.get $c) (v128.load (local.get $pa))))
        (local.set $pb (i32.add (local.get $pa) (i32.mul (local.get $r) (local.get $step))))
        (local.set $pa (i32.sub (local.get $pa) (i32.mul (local.get $r) (local.get $step))))
        (local.set $pk (local.get $kern))
        (local.set $d (local.get $r))
        (block $doneD2
          (loop $taps2
            (br_if $doneD2 (i32.eqz (local.get $d)))
            (local.set $a0 (f64x2.add (local.get $a0)
              (f64x2.mul (f64x2.splat (f64.load (local.get $pk)))
                (f64x2.add (v128.load (local.get $pa)) (v128.load (local.get $pb))))))
            (local.set $pa (i32.add (local.get $pa) (local.get $step)))
            (local.set $pb (i32.sub (local.get $pb) (local.get $step)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
            (local.set $d (i32.sub (local.get $d) (i32.const 1)))
            (br $taps2)))
        (v128.store64_lane 0 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.demote_f64x2_zero (f64x2.mul (local.get $a0) (local.get $sc))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $two)))
    ;; the last one
    (if (i32.lt_s (local.get $i) (local.get $len))
      (then
        (local.set $pa (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $s (f64.mul (f64x2.extract_lane 0 (local.get $c)) (f64.load (local.get $pa))))
        (local.set $pb (i32.add (local.get $pa) (i32.mul (local.get $r) (local.get $step))))
        (local.set $pa (i32.sub (local.get $pa) (i32.mul (local.get $r) (local.get $step))))
        (local.set $pk (local.get $kern))
        (local.set $d (local.get $r))
        (block $doneD1
          (loop $taps1
            (br_if $doneD1 (i32.eqz (local.get $d)))
            (local.set $s (f64.add (local.get $s)
              (f64.mul (f64.load (local.get $pk)) (f64.add (f64.load (local.get $pa)) (f64.load (local.get $pb))))))
            (local.set $pa (i32.add (local.get $pa) (local.get $step)))
            (local.set $pb (i32.sub (local.get $pb) (local.get $step)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
            (local.set $d (i32.sub (local.get $d) (i32.const 1)))
            (br $taps1)))
        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (f32.demote_f64 (f64.mul (local.get $s) (local.get $scale)))))))

  ;; Border outputs: $len adjacent outputs (float32 at $dst …) from the $n existing taps (float64 rows
  ;; at $src, $src + $step, …) with the weights at $kern … (the kernel's weights of those taps), divided
  ;; by the sum of those weights. Two outputs per step, then one.
  (func $border (param $src i32) (param $step i32) (param $len i32) (param $kern i32) (param $n i32)
    (param $dst i32)
    (local $i i32) (local $u i32) (local $p i32) (local $pk i32)
    (local $w f64) (local $s f64) (local $a v128)
    ;; the weight sum, in the scalar code's order: 0 + k_0 + k_1 + …
    (local.set $pk (local.get $kern))
    (block $doneW
      (loop $sumW
        (br_if $doneW (i32.ge_s (local.get $u) (local.get $n)))
        (local.set $w (f64.add (local.get $w) (f64.load (local.get $pk))))
        (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $sumW)))
    (block $done2
      (loop $two
        (br_if $done2 (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $len)))
        (local.set $a (f64x2.splat (f64.const 0)))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $pk (local.get $kern))
        (local.set $u (i32.const 0))
        (block $doneU
          (loop $taps
            (br_if $doneU (i32.ge_s (local.get $u) (local.get $n)))
            (local.set $a (f64x2.add (local.get $a)
              (f64x2.mul (f64x2.splat (f64.load (local.get $pk))) (v128.load (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (local.get $step)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $taps)))
        (v128.store64_lane 0 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.demote_f64x2_zero (f64x2.div (local.get $a) (f64x2.splat (local.get $w)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $two)))
    (if (i32.lt_s (local.get $i) (local.get $len))
      (then
        (local.set $s (f64.const 0))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $pk (local.get $kern))
        (local.set $u (i32.const 0))
        (block $doneU1
          (loop $taps1
            (br_if $doneU1 (i32.ge_s (local.get $u) (local.get $n)))
            (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $pk)) (f64.load (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (local.get $step)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $taps1)))
        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (f32.demote_f64 (f64.div (local.get $s) (local.get $w)))))))

  ;; Output t of a line of $count taps (rows $step bytes apart from $src), $len outputs wide: interior
  ;; (r ≤ t < count − r) by `folded`, else `border` over the taps that exist.
  (func $line (param $src i32) (param $step i32) (param $count i32) (param $t i32) (param $len i32)
    (param $kern i32) (param $r i32) (param $scale f64) (param $dst i32)
    (local $lo i32) (local $hi i32)
    (if (i32.and (i32.ge_s (local.get $t) (local.get $r))
                 (i32.lt_s (local.get $t) (i32.sub (local.get $count) (local.get $r))))
      (then
        (call $folded (i32.add (local.get $src) (i32.mul (local.get $t) (local.get $step))) (local.get $step)
          (local.get $len) (local.get $kern) (local.get $r) (local.get $scale) (local.get $dst)))
      (else
        (local.set $lo (select (i32.const 0) (i32.sub (local.get $t) (local.get $r))
          (i32.lt_s (i32.sub (local.get $t) (local.get $r)) (i32.const 0))))
        (local.set $hi (i32.add (local.get $t) (local.get $r)))
        (if (i32.gt_s (local.get $hi) (i32.sub (local.get $count) (i32.const 1)))
          (then (local.set $hi (i32.sub (local.get $count) (i32.const 1)))))
        (call $border (i32.add (local.get $src) (i32.mul (local.get $lo) (local.get $step))) (local.get $step)
          (local.get $len)
          (i32.add (local.get $kern)
            (i32.shl (i32.add (i32.sub (local.get $lo) (local.get $t)) (local.get $r)) (i32.const 3)))
          (i32.add (i32.sub (local.get $hi) (local.get $lo)) (i32.const 1)) (local.get $dst)))))

  ;; Pass along i: $nrows rows of $nx float64 at $src → float32 at $dst. The interior of a row
  ;; (r ≤ i < nx − r) as one `folded` run over adjacent outputs, the r values at either end by `border`.
  (func (export "rows") (param $src i32) (param $dst i32) (param $nx i32) (param $nrows i32) (param $kern i32)
    (param $r i32) (param $scale f64)
    (local $row i32) (local $t i32) (local $s i32) (local $o i32) (local $inner i32)
    (local.set $inner (i32.sub (local.get $nx) (i32.shl (local.get $r) (i32.const 1))))
    (block $doneRows
      (loop $rows
        (br_if $doneRows (i32.ge_s (local.get $row) (local.get $nrows)))
        (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $row) (local.get $nx)) (i32.const 3))))
        (local.set $o (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $row) (local.get $nx)) (i32.const 2))))
        (if (i32.gt_s (local.get $inner) (i32.const 0))
          (then
            (call $folded (i32.add (local.get $s) (i32.shl (local.get $r) (i32.const 3))) (i32.const 8)
              (local.get $inner) (local.get $kern) (local.get $r) (local.get $scale)
              (i32.add (local.get $o) (i32.shl (local.get $r) (i32.const 2))))))
        (local.set $t (i32.const 0))
        (block $doneT
          (loop $ts
            (if (i32.and (i32.eq (local.get $t) (local.get $r)) (i32.gt_s (local.get $inner) (i32.const 0)))
              (then (local.set $t (i32.sub (local.get $nx) (local.get $r)))))
            (br_if $doneT (i32.ge_s (local.get $t) (local.get $nx)))
            (call $line (local.get $s) (i32.const 8) (local.get $nx) (local.get $t) (i32.const 1)
              (local.get $kern) (local.get $r) (local.get $scale)
              (i32.add (local.get $o) (i32.shl (local.get $t) (i32.const 2))))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $ts)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Pass along j or k in one plane: $count rows of $nx float64 at $src (a line of the filtered axis per
  ;; column i) → $count rows of $nx float32 at $dst; every output row is a weighted sum of whole rows.
  (func (export "plane") (param $src i32) (param $dst i32) (param $nx i32) (param $count i32) (param $kern i32)
    (param $r i32) (param $scale f64)
    (local $t i32)
    (block $doneT
      (loop $ts
        (br_if $doneT (i32.ge_s (local.get $t) (local.get $count)))
        (call $line (local.get $src) (i32.shl (local.get $nx) (i32.const 3)) (local.get $count) (local.get $t)
          (local.get $nx) (local.get $kern) (local.get $r) (local.get $scale)
          (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $t) (local.get $nx)) (i32.const 2))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $ts))))
)
