;; Grows its linear memory one 64 KiB page at a time until memory.grow fails
;; (returns -1) or the memory reaches 1600 pages (100 MiB), prints "pages N"
;; (its final size), and exits with its size in MiB (pages / 16; 100: never refused).
;; (wasmtime traps on proc_exit codes of 126 and more, hence not 2048 pages.)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "pages ")
  (func (export "_start")
    (local $n i32)
    (local $p i32)
    (block $done
      (loop $grow
        (br_if $done (i32.ge_u (memory.size) (i32.const 1600)))
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow)))
    ;; the decimal digits of memory.size, written backwards before a newline at 63
    (local.set $n (memory.size))
    (i32.store8 (i32.const 63) (i32.const 10))
    (local.set $p (i32.const 63))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    ;; "pages " just before the digits, then one iovec at 0 over it all (wasmtime may
    ;; write only the first of several iovecs); nwritten at 96
    (local.set $p (i32.sub (local.get $p) (i32.const 6)))
    (memory.copy (local.get $p) (i32.const 16) (i32.const 6))
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (i32.sub (i32.const 64) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 96)))
    (call $proc_exit (i32.div_u (memory.size) (i32.const 16)))))
