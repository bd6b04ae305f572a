/** Appends everything a child process writes (stdout and stderr) through `append`, as it arrives. */
export function collectOutput(
  child: { stdout: ReadableStream<Uint8Array>; stderr: ReadableStream<Uint8Array> },
  append: (text: string) => void,
): void {
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      append(decoder.decode(value, { stream: true }));
    }
  };
  void collect(child.stdout);
  void collect(child.stderr);
}
