/*
 * What GCC 12's static libstdc++ and libgcc (built by Debian for glibc) call that only glibc has,
 * written over musl, so their objects can be linked into a libstdc++.so.6 for a musl-only root.
 * (Alpine's own libstdc++ package is the real thing on a real host; Debian has none built for musl.)
 */
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/random.h>

/* glibc 2.32+: non-zero while the process has one thread. 0 means "assume threads", always safe. */
char __libc_single_threaded = 0;

/* glibc 2.36+: std::random_device's "arc4random" source. */
uint32_t arc4random(void) {
  uint32_t value = 0;
  while (getrandom(&value, sizeof value, 0) != sizeof value) {
  }
  return value;
}

/*
 * glibc 2.35+: the unwinder's lookup of unwind tables. -1 finds none, so a C++ exception would end the
 * process; Bun's C++ is built without exceptions, and the agent's runs here throw none.
 */
int _dl_find_object(void *address, void *result) {
  (void)address;
  (void)result;
  return -1;
}

/* glibc's internal name, used by aarch64 libgcc to detect atomics instructions. */
unsigned long __getauxval(unsigned long type) { return getauxval(type); }
