/*
 * Wine 8 lacks bcryptprimitives.dll!ProcessPrng, which Bun's Windows runtime imports (the exe
 * exits with 53 without it). This stand-in, placed beside the exe, answers from RtlGenRandom.
 * Built by the Windows smoke test only; never shipped.
 */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
