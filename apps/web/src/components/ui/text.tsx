/**
 * Text an agent or another user wrote (hostnames, labels, package names, machine ids): isolated so bidi
 * characters cannot reorder what is around it, broken anywhere rather than widening the page, and
 * whole in a tooltip when a column cuts it short.
 */
export function Untrusted({ text, className }: { text: string; className?: string }) {
  return (
    <bdi
      className={`untrusted${className ? ` ${className}` : ""}`}
      title={text.length > 24 ? text : undefined}
    >
      {text}
    </bdi>
  );
}
