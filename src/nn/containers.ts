// Sequential, ModuleList and ModuleDict: children named '0', '1', ... or by key.
import { Module } from './module'

/** Children named '0', '1', ...: length, indexing, append and iteration. */
abstract class IndexedModules extends Module {
  get length(): number {
    return this.children().length
  }
  at(i: number): Module {
    const c = this.children()
    return c[i < 0 ? i + c.length : i]
  }
  append(m: Module): this {
    this.registerModule(String(this.children().length), m)
    return this
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]()
  }
}

export class Sequential extends IndexedModules {
  constructor(...modules: (Module | Record<string, Module>)[]) {
    super()
    if (modules.length === 1 && !(modules[0] instanceof Module)) {
      for (const [k, m] of Object.entries(modules[0])) this.registerModule(k, m)
    } else modules.forEach((m, i) => this.registerModule(String(i), m as Module))
  }
  forward(x: any): any {
    for (const m of this.children()) x = m.call(x)
    return x
  }
}

export class ModuleList extends IndexedModules {
  constructor(modules: Module[] = []) {
    super()
    modules.forEach((m, i) => this.registerModule(String(i), m))
  }
}

export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super()
    for (const [k, m] of Object.entries(modules)) this.registerModule(k, m)
  }
  get(k: string): Module | undefined {
    const v = (this as any)[k]
    return v instanceof Module ? v : undefined
  }
  set(k: string, m: Module): void {
    this.registerModule(k, m)
  }
  keys(): string[] {
    return [...this.namedChildren()].map(([k]) => k)
  }
}
