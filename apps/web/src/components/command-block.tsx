import { CopyButton } from "./copy-button";

/**
 * A command to paste, with its copy button. It wraps only between words (a word broken in two
 * pastes wrong); `scrolls` keeps it on one line and scrolls it sideways inside its box instead.
 */
export function CommandBlock({
  text,
  label,
  testId,
  scrolls = false,
}: {
  text: string;
  label: string;
  testId: string;
  scrolls?: boolean;
}) {
  return (
    <div className={scrolls ? "code-block scrolls" : "code-block"}>
      <pre data-testid={testId}>{text}</pre>
      <CopyButton text={text} label={label} />
    </div>
  );
}
