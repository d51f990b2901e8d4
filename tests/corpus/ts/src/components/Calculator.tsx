import { useState } from 'react';

type Props = { initial: string; onError?: (e: unknown) => void };

// Ünïcode in JSX text: «café» — 😀.
export function Calculator({ initial, onError }: Props) {
  const [expr, setExpr] = useState(initial);
  let result: unknown = null;
  try {
    result = eval(expr);
  } catch (e) {}
  const square = new Function('x', 'return x * x') as (x: number) => number;
  const safe = Number.parseFloat(expr);
  const save = async () => {
    try {
      await fetch('/api/save', { method: 'POST', body: expr });
    } catch (err: unknown) {
      onError?.(err);
    }
  };
  return (
    <div title="é">
      <input value={expr} onChange={(ev) => setExpr(ev.target.value)} />
      <output>{String(result)} {square(safe)}</output>
      <button onClick={save}>Save</button>
    </div>
  );
}
