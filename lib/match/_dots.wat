(module
  (memory (export "memory") 1)
  ;; out[i] = sum_j g[i*dim + j] * p[j] for i < n (int8 rows, dim a multiple of 16), as i32.
  (func (export "dots") (param $g i32) (param $p i32) (param $n i32) (param $dim i32) (param $out i32)
    (local $end i32) (local $j i32) (local $acc v128) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $col
          (local.set $a (v128.load (i32.add (local.get $g) (local.get $j))))
          (local.set $b (v128.load (i32.add (local.get $p) (local.get $j))))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $a)) (i16x8.extend_low_i8x16_s (local.get $b)))))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $a)) (i16x8.extend_high_i8x16_s (local.get $b)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $col (i32.lt_u (local.get $j) (local.get $dim))))
        (i32.store (local.get $out)
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
        (local.set $g (i32.add (local.get $g) (local.get $dim)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $row)))))
