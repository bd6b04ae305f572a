/*
 * A recorded-output stand-in for a Windows program (powershell.exe, winget.exe) in the agent's
 * Wine test. Copied as NAME.exe beside NAME.<key>.out files: it appends its command line to
 * NAME.log, prints NAME.<key>.out byte for byte and exits with the number in NAME.<key>.exit
 * (0 when absent). <key> is the first argument when it does not start with '-', else "default".
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <io.h>

static void sibling(char *out, size_t size, const char *base, const char *suffix) {
  snprintf(out, size, "%s%s", base, suffix);
}

int main(int argc, char **argv) {
  char base[MAX_PATH * 2];
  DWORD length = GetModuleFileNameA(NULL, base, MAX_PATH);
  if (length == 0 || length >= MAX_PATH) return 90;
  char *dot = strrchr(base, '.');
  if (dot != NULL && _stricmp(dot, ".exe") == 0) *dot = '\0';
  const char *key = (argc > 1 && argv[1][0] != '-') ? argv[1] : "default";
  char path[MAX_PATH * 3];

  sibling(path, sizeof path, base, ".log");
  FILE *log = fopen(path, "ab");
  if (log != NULL) {
    LPWSTR line = GetCommandLineW();
    int bytes = WideCharToMultiByte(CP_UTF8, 0, line, -1, NULL, 0, NULL, NULL);
    char *utf8 = (char *)malloc(bytes > 0 ? bytes : 1);
    if (utf8 != NULL && WideCharToMultiByte(CP_UTF8, 0, line, -1, utf8, bytes, NULL, NULL) > 0) {
      fputs(utf8, log);
      fputs("\n", log);
    }
    free(utf8);
    fclose(log);
  }

  char name[MAX_PATH * 3];
  snprintf(name, sizeof name, ".%s.out", key);
  sibling(path, sizeof path, base, name);
  FILE *output = fopen(path, "rb");
  if (output == NULL) {
    fprintf(stderr, "replay: no recorded output %s\n", path);
    return 91;
  }
  _setmode(_fileno(stdout), _O_BINARY);
  char buffer[8192];
  size_t read;
  while ((read = fread(buffer, 1, sizeof buffer, output)) > 0) fwrite(buffer, 1, read, stdout);
  fclose(output);
  fflush(stdout);

  snprintf(name, sizeof name, ".%s.exit", key);
  sibling(path, sizeof path, base, name);
  FILE *code = fopen(path, "rb");
  long exitCode = 0;
  if (code != NULL) {
    if (fscanf(code, "%ld", &exitCode) != 1) exitCode = 92;
    fclose(code);
  }
  return (int)exitCode;
}
