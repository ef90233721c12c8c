;; Sleeps 60 s with WASI poll_oneoff on one relative monotonic-clock subscription,
;; then exits 0. A killed task must not wait for it.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; subscription (48 bytes) at 0:
  ;;   0 userdata u64 | 8 tag u8 (0 = clock) | 16 clock id u32 (1 = monotonic)
  ;;   24 timeout u64 (ns) | 32 precision u64 | 40 flags u16 (0 = relative)
  ;; event (32 bytes) at 64, nevents (u32) at 96.
  (func (export "_start")
    (i64.store (i32.const 0) (i64.const 1))
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 60000000000))
    (i64.store (i32.const 32) (i64.const 0))
    (i32.store16 (i32.const 40) (i32.const 0))
    (if (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 96))
      (then (call $proc_exit (i32.const 1))))
    (call $proc_exit (i32.const 0))))
