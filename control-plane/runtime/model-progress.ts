/**
 * @module
 * The progress lines of one model fetch.
 */

/** Start and done lines, and files/bytes lines at most once a second in between. */
export class ProgressMeter {
  private files = 0;
  private received = 0;
  private last = 0;
  private readonly began = Date.now();

  constructor(
    private readonly say: (line: string) => void,
    private readonly url: string,
    private readonly totalFiles: number,
    private readonly totalBytes: number,
  ) {}

  start(dir: string): void {
    this.say(`fetching ${this.url}: ${this.totalFiles} files, ${mib(this.totalBytes)} into ${dir}`);
  }

  bytes(count: number): void {
    this.received += count;
    this.maybeReport();
  }

  file(): void {
    this.files += 1;
    this.maybeReport();
  }

  done(): void {
    const seconds = ((Date.now() - this.began) / 1000).toFixed(1);
    this.say(`fetched ${this.url}: ${this.totalFiles} files, ${mib(this.totalBytes)} in ${seconds} s`);
  }

  private maybeReport(): void {
    const now = Date.now();
    if (now - this.last < 1000) return;
    this.last = now;
    const counts = `${this.files}/${this.totalFiles} files, ${mib(this.received)} of ${mib(this.totalBytes)}`;
    this.say(`fetching ${this.url}: ${counts}`);
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
