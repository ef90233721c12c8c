(module
  ;; grows a funcref table by 1M elements at a time, each set to a function,
  ;; so host memory outside linear memory fills until the cgroup OOM-kills.
  (table $t 0 funcref)
  (func $f)
  (elem declare func $f)
  (func (export "_start")
    (loop $l
      (drop (table.grow $t (ref.func $f) (i32.const 1000000)))
      (br $l))))
