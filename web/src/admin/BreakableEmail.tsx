import { Fragment } from 'react';

/** An email that may wrap after its @, dots and dashes (a phone's narrow table), never mid-word. */
export function BreakableEmail({ email }: { email: string }) {
  const parts = email.split(/(?<=[@.-])/);
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {p}
        </Fragment>
      ))}
    </>
  );
}
