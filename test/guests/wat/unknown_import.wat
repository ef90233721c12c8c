;; Imports a function no host provides (env.nope): instantiation must fail.
(module
  (import "env" "nope" (func $nope))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $nope)))
