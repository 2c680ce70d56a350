// A job's training log (GET /v1/jobs/{id}/metrics), gathered a little at a time for the chart.

export class TrainingLog {
  constructor() {
    this.rows = new Map(); // "loss@120" / "evaluation@200" -> row
  }

  static key(row) {
    return `${row.event ?? "loss"}@${row.step}`;
  }

  /** Add rows from the API; returns true if anything new or changed came in. */
  merge(rows) {
    let changed = false;
    for (const row of rows) {
      if (!Number.isInteger(row?.step)) continue;
      const key = TrainingLog.key(row);
      if (JSON.stringify(this.rows.get(key)) !== JSON.stringify(row)) {
        this.rows.set(key, row);
        changed = true;
      }
    }
    return changed;
  }

  get losses() {
    return [...this.rows.values()].filter((row) => !row.event).sort((a, b) => a.step - b.step);
  }

  get evaluations() {
    return [...this.rows.values()].filter((row) => row.event === "evaluation").sort((a, b) => a.step - b.step);
  }

  get lastStep() {
    let last = 0;
    for (const row of this.rows.values()) last = Math.max(last, row.step);
    return last;
  }

  /**
   * The after_step to ask for next: one below the last step seen, because the rows of one step (a loss
   * row and an evaluation) are appended one after the other and a read may fall between them.
   */
  get nextAfterStep() {
    return Math.max(0, this.lastStep - 1);
  }
}
