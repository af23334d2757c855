// The page's side of natbox check: requests go to a Web Worker started from the page's own script
// (the built page is one file, so the worker is that same script as a blob: URL; main.ts starts
// the check service when it finds no document). One request at a time: while one runs, only the
// newest waiting request is kept. Where no worker starts (a page served by Vite's dev server, or a
// policy that forbids blob: workers), the check runs on the page's thread after the redraw.
import { runCheck, type CheckAnswer, type CheckRequest } from './check-run.ts';

export type OnAnswer = (a: CheckAnswer, inWorker: boolean) => void;

export class Checker {
  private worker: Worker | undefined;
  private failed = false;
  private busy = false;
  private waiting: CheckRequest | undefined;
  private nextId = 1;

  constructor(private readonly onAnswer: OnAnswer) {}

  /** Whether checks run in a worker (false before the first request, and on the fallback). */
  get inWorker(): boolean {
    return this.worker !== undefined && !this.failed;
  }

  request(text: string, file: string, lang: CheckRequest['lang']): number {
    const q: CheckRequest = { id: this.nextId++, text, file, lang };
    if (this.busy) this.waiting = q;
    else this.send(q);
    return q.id;
  }

  private start(): Worker | undefined {
    if (this.failed) return undefined;
    if (this.worker) return this.worker;
    const own = document.querySelector<HTMLScriptElement>('script[type="module"]:not([src])');
    if (!own?.textContent || typeof Worker === 'undefined') {
      this.failed = true;
      return undefined;
    }
    try {
      // A classic worker: a page opened from file:// cannot start a module worker from blob: (its
      // origin is opaque), and the built script has no import or export, so it runs as one.
      const code = `"use strict";\n${own.textContent}`;
      const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
      const w = new Worker(url, { name: 'natbox-check' });
      w.onmessage = (e: MessageEvent<CheckAnswer>) => this.answered(e.data, true);
      w.onerror = (e) => {
        e.preventDefault();
        this.fallBack();
      };
      this.worker = w;
      return w;
    } catch {
      this.failed = true;
      return undefined;
    }
  }

  private inFlight: CheckRequest | undefined;

  private send(q: CheckRequest): void {
    this.busy = true;
    this.inFlight = q;
    const w = this.start();
    if (w) w.postMessage(q);
    else setTimeout(() => this.answered(runCheck(q), false), 0);
  }

  /** The worker could not start or died: what it had goes to the page's thread. */
  private fallBack(): void {
    this.failed = true;
    this.worker?.terminate();
    this.worker = undefined;
    const q = this.inFlight;
    if (q) setTimeout(() => this.answered(runCheck(q), false), 0);
  }

  private answered(a: CheckAnswer, inWorker: boolean): void {
    if (a.id !== this.inFlight?.id) return;
    this.inFlight = undefined;
    this.busy = false;
    const next = this.waiting;
    this.waiting = undefined;
    if (next) this.send(next);
    else this.onAnswer(a, inWorker);
  }
}
