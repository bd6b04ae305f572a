/* Runs one AVX2 instruction: a CPU, or an emulated CPU model, without AVX2 stops it with SIGILL. */
int main(void) {
  __asm__ volatile("vpaddd %%ymm1, %%ymm1, %%ymm1" ::: "xmm1");
  return 0;
}
