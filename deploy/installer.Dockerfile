# The image of deploy/installer.yaml (ghcr.io/wasmtee/installer:latest):
# the three wasmtee binaries on busybox, whose shell runs
# 'wasmtee install --root /host' and then 'sleep infinity'.
#
# Build from the repository root, after 'make all':
#
#   docker build -f deploy/installer.Dockerfile -t ghcr.io/wasmtee/installer:latest .
#   docker push ghcr.io/wasmtee/installer:latest
#
# bin/wasmtee and the shim are static binaries. The module host links
# wasmtime and glibc; it is only copied to the host here and runs there, so
# the node needs a glibc at least as new as the one of the machine that built
# bin/ (libc, libm, libgcc_s).
FROM busybox:1.37-glibc
COPY bin/containerd-shim-wasmtee-v1 bin/wasmtee-shim bin/wasmtee-module-host bin/wasmtee /usr/local/bin/
ENTRYPOINT []
CMD ["wasmtee", "help", "install"]
