;; Spins forever in _start (`loop br 0`), never calling the host: only a signal
;; can end it.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever
      (br $forever))))
