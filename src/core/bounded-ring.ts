/**
 * The newest `capacity` items, in a ring: once full, each item added takes the oldest one's slot
 * and `add` hands the oldest back, so the caller forgets it then — one at a time, never a batch of
 * thousands in one go (a stall of milliseconds). Grows to `capacity` and never past it; with an
 * infinite capacity it keeps everything, with none it keeps nothing.
 */
export class BoundedRing<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  /** Adds `item`; returns the item it pushed out, or undefined while the ring is not full. */
  add(item: T): T | undefined {
    if (this.capacity === 0) return item;
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return undefined;
    }
    const oldest = this.items[this.next];
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    return oldest;
  }

  /** The items kept, oldest first. */
  values(): T[] {
    return this.items.length < this.capacity ? this.items.slice() : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}
