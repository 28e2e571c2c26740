"""The arm64 QEMU harness: the unchanged terminal on an emulated board (make qemu-test)."""
