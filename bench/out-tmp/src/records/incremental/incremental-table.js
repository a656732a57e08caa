import { sameHostPort } from '../../net/address.js';
import { buildTable } from '../build-table.js';
import { KIND_A, KIND_AAAA, NAME_OWNER, NAME_TARGET } from '../packed-table.js';
import { TableBuilder } from '../table-builder.js';
import { taskRecords } from '../task-records.js';
import { reverseOwnerNames } from '../reverse-ptrs.js';
import { overlayTable } from './overlay-table.js';
import { ReversePatcher } from './reverse-patch.js';
/** Changed tasks in one patch above which the caller builds in full instead. */
export const MAX_PATCH_TASKS = 2000;
/** Lists longer than this are de-duplicated with a Set (as the builder does). */
const SCAN_LIMIT = 32;
const FRAMEWORK_STRIDE = 2 ** 32;
export class IncrementalTable {
    #inputs;
    #state;
    #b;
    #contexts;
    #agents;
    #options;
    #fwSlots = [];
    #contrib = [];
    /** Per name id: the non-task records, value and kind in turn. */
    #prefix = new Map();
    #owner;
    #children;
    #apex;
    #dotZone;
    #weight;
    #overlay;
    #reverse = undefined;
    #seq = 0;
    #broken = false;
    /** Forward names whose addresses the reverse half reads back (a task adding records under one: rebuild). */
    #reverseOwners = new Set();
    /** Starts from a full build of `state` (buildTableParts). */
    constructor(state, inputs, parts) {
        this.#inputs = inputs;
        this.#state = state;
        this.#weight = inputs.config.SRVRecordDefaultWeight;
        const packed = parts.packed;
        const b = (this.#b = TableBuilder.resume(packed, this.#weight));
        this.#contexts = parts.contexts;
        this.#agents = parts.agents;
        this.#options = { ipSources: inputs.config.IPSources, seenIps: parts.seenIps, ptrs: parts.taskPtrs === null ? null : [] };
        const zone = parts.table.zone;
        this.#apex = b.name(zone);
        this.#dotZone = Buffer.from(`.${zone}`, 'utf8');
        const log = parts.log;
        for (let e = 0; e < parts.prefixEnd; e++) {
            const owner = log[3 * e];
            let list = this.#prefix.get(owner);
            if (list === undefined)
                this.#prefix.set(owner, (list = []));
            list.push(log[3 * e + 1], log[3 * e + 2]);
        }
        state.frameworks.forEach((fw, i) => {
            const slots = new Map();
            this.#fwSlots.push(slots);
            const span = parts.spans[i];
            for (let t = 0; t < fw.tasks.length; t++) {
                const task = fw.tasks[t];
                if (slots.has(task.id))
                    this.#broken = true; // a task id twice: ids no longer name one place
                const entries = log.subarray(3 * span[4 * t], 3 * span[4 * t + 1]);
                const ptrs = parts.taskPtrs === null ? null : parts.taskPtrs.slice(span[4 * t + 2], span[4 * t + 3]);
                const slot = { order: i * FRAMEWORK_STRIDE + this.#seq++, task, entries, ptrs };
                slots.set(task.id, slot);
                this.#link(slot);
            }
        });
        const count = b.nameCount;
        this.#owner = new Uint8Array(count + 1024);
        this.#children = new Int32Array(count + 1024);
        const kinds = packed.nameKind;
        for (let id = 0; id < kinds.length; id++) {
            if (kinds[id] === NAME_OWNER)
                this.#owner[id] = 1;
            if (kinds[id] !== NAME_TARGET && this.#inZone(id))
                this.#children[b.parentName(id)]++;
        }
        const records = { A: 0, AAAA: 0, SRV: 0 };
        const end = packed.recStart[packed.recStart.length - 1];
        for (let r = 0; r < end; r++) {
            const p = packed.recPort[r];
            if (p === KIND_A)
                records.A++;
            else if (p === KIND_AAAA)
                records.AAAA++;
            else
                records.SRV++;
        }
        this.#overlay = { base: parts.table, entries: new Map(), ownerCount: packed.ownerCount, existingCount: packed.existingCount, records };
        if (parts.table.reverse !== undefined && parts.taskPtrs !== null) {
            const owners = reverseOwnerNames(parts.table.names, zone, [...new Set(parts.frameworkLabels)], parts.mname);
            for (const owner of owners)
                this.#reverseOwners.add(b.name(owner));
            this.#reverse = new ReversePatcher(parts.table.reverse, parts.taskPtrs, inputs.config.typed.ptr.zones, parts.table.names, owners);
        }
    }
    /** Why the last apply() returned undefined (for the debug log). */
    refusal = '';
    /** Names in the overlay now; past a threshold the caller merges (builds a new base). */
    get overlaySize() {
        return this.#overlay.entries.size;
    }
    /**
     * The table for `state` as a patch of the current one, or undefined when this change is not
     * one a patch handles (see the top of this file); then the caller builds in full and starts a
     * new IncrementalTable from that build.
     */
    apply(state, inputs) {
        if (this.#broken)
            return this.#refuse('an earlier patch could not be completed');
        const outside = sameOutside(this.#state, state, this.#inputs, inputs);
        if (outside !== undefined)
            return this.#refuse(outside);
        const removed = [];
        const added = [];
        const previous = this.#state.frameworks;
        for (let i = 0; i < state.frameworks.length; i++) {
            const before = previous[i].tasks;
            const after = state.frameworks[i].tasks;
            if (before === after)
                continue;
            if (!diffTasks(before, after, this.#fwSlots[i], i, removed, added, () => this.#seq++))
                return this.#refuse('task lists out of step');
            if (removed.length + added.length > 2 * MAX_PATCH_TASKS)
                return this.#refuse('too many changed tasks');
        }
        // From here on the model changes; anything unexpected leaves it broken (every later apply
        // returns undefined until a full build starts a new one).
        const touched = new Set();
        const oldPtrs = [];
        const newPtrs = [];
        for (const slot of removed) {
            this.#fwSlots[Math.floor(slot.order / FRAMEWORK_STRIDE)].delete(slot.task.id);
            this.#unlink(slot, touched);
            if (slot.ptrs !== null)
                oldPtrs.push(...slot.ptrs);
        }
        for (const { fw, task, order } of added) {
            const slot = this.#slotFor(fw, task, order);
            if (this.#fwSlots[fw].has(task.id)) {
                this.#broken = true;
                return this.#refuse('a task id twice in a framework');
            }
            this.#fwSlots[fw].set(task.id, slot);
            this.#link(slot, touched);
            if (slot.ptrs !== null)
                newPtrs.push(...slot.ptrs);
        }
        for (const id of touched)
            if (this.#reverseOwners.has(id))
                this.#broken = true;
        if (this.#broken)
            return this.#refuse('a task adds records under a name the PTRs read back');
        this.#state = state;
        const entries = new Map(this.#overlay.entries);
        const totals = { ...this.#overlay.records };
        let { ownerCount, existingCount } = this.#overlay;
        const changedExistence = [];
        const names = [];
        for (const id of touched) {
            const name = this.#b.nameText(id);
            const before = this.#current(entries, name);
            const after = this.#compute(id);
            count(totals, before, -1);
            count(totals, after, 1);
            const wasOwner = this.#owner[id] === 1;
            const isOwner = after !== null;
            const existed = this.#exists(id);
            this.#owner[id] = isOwner ? 1 : 0;
            ownerCount += (isOwner ? 1 : 0) - (wasOwner ? 1 : 0);
            if (existed !== this.#exists(id)) {
                existingCount += existed ? -1 : 1;
                changedExistence.push(id);
            }
            entries.set(name, { records: after, exists: this.#exists(id) });
            names.push(name);
        }
        // A name that came or went changes its parent's child count, which may make the parent (an
        // empty non-terminal) come or go in turn.
        for (let k = 0; k < changedExistence.length; k++) {
            const id = changedExistence[k];
            if (!this.#inZone(id))
                continue;
            const parent = this.#b.parentName(id);
            this.#grow(parent);
            const existed = this.#exists(parent);
            this.#children[parent] += this.#exists(id) ? 1 : -1;
            if (existed === this.#exists(parent))
                continue;
            existingCount += existed ? -1 : 1;
            changedExistence.push(parent);
            const name = this.#b.nameText(parent);
            entries.set(name, { records: this.#current(entries, name), exists: !existed });
            names.push(name);
        }
        this.#overlay = { base: this.#overlay.base, entries, ownerCount, existingCount, records: totals };
        const reverse = this.#reverse?.apply(oldPtrs, newPtrs);
        const enumerationInputs = { ...this.#inputs, serial: inputs.serial };
        return {
            table: overlayTable(this.#overlay, inputs.serial, reverse ?? this.#overlay.base.reverse, () => buildTable(state, enumerationInputs).enumeration),
            touched: names,
        };
    }
    #refuse(reason) {
        this.refusal = reason;
        return undefined;
    }
    /** The task's records, made by the build's own function into this builder. */
    #slotFor(fw, task, order) {
        const context = this.#contexts[fw];
        const options = this.#options;
        if (options.ptrs !== null)
            options.ptrs = [];
        this.#b.clearLog();
        if (context !== undefined)
            taskRecords(this.#b, context, task, this.#agents, options);
        const entries = this.#b.logEntries().slice();
        this.#grow(this.#b.nameCount);
        return { order, task, entries, ptrs: options.ptrs };
    }
    #link(slot, touched) {
        const entries = slot.entries;
        for (let e = 0; e < entries.length; e += 3) {
            const owner = entries[e];
            touched?.add(owner);
            const list = this.#contrib[owner];
            if (list === undefined)
                this.#contrib[owner] = slot;
            else if (list === slot)
                continue;
            else if (!Array.isArray(list))
                this.#contrib[owner] = list.order < slot.order ? [list, slot] : [slot, list];
            else if (list[list.length - 1] === slot)
                continue;
            else if (list[list.length - 1].order < slot.order)
                list.push(slot);
            else if (!list.includes(slot)) {
                let lo = 0;
                let hi = list.length;
                while (lo < hi) {
                    const mid = (lo + hi) >>> 1;
                    if (list[mid].order < slot.order)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                list.splice(lo, 0, slot);
            }
        }
    }
    #unlink(slot, touched) {
        const entries = slot.entries;
        for (let e = 0; e < entries.length; e += 3) {
            const owner = entries[e];
            touched.add(owner);
            const list = this.#contrib[owner];
            if (list === slot)
                this.#contrib[owner] = undefined;
            else if (Array.isArray(list)) {
                const at = list.indexOf(slot);
                if (at < 0)
                    continue;
                list.splice(at, 1);
                if (list.length === 1)
                    this.#contrib[owner] = list[0];
            }
        }
    }
    /** Name `id`'s records as a fresh build makes them: non-task records, then tasks in order, repeats dropped. */
    #compute(id) {
        const values = [];
        const kinds = [];
        let seen;
        const add = (value, kind) => {
            const key = value * 0x20000 + (kind + 2);
            if (seen !== undefined) {
                if (seen.has(key))
                    return;
                seen.add(key);
            }
            else {
                for (let r = 0; r < values.length; r++)
                    if (values[r] === value && kinds[r] === kind)
                        return;
                if (values.length >= SCAN_LIMIT) {
                    seen = new Set(values.map((v, r) => v * 0x20000 + (kinds[r] + 2)));
                    seen.add(key);
                }
            }
            values.push(value);
            kinds.push(kind);
        };
        const prefix = this.#prefix.get(id);
        if (prefix !== undefined)
            for (let k = 0; k < prefix.length; k += 2)
                add(prefix[k], prefix[k + 1]);
        const list = this.#contrib[id];
        const slots = list === undefined ? [] : Array.isArray(list) ? list : [list];
        for (const slot of slots) {
            const entries = slot.entries;
            for (let e = 0; e < entries.length; e += 3)
                if (entries[e] === id)
                    add(entries[e + 1], entries[e + 2]);
        }
        if (values.length === 0)
            return null;
        const out = { a: [], aaaa: [], srv: [] };
        for (let r = 0; r < values.length; r++) {
            if (kinds[r] === KIND_A)
                out.a.push(this.#b.ipText(values[r]));
            else if (kinds[r] === KIND_AAAA)
                out.aaaa.push(this.#b.ipText(values[r]));
            else
                out.srv.push({ target: this.#b.nameText(values[r]), port: kinds[r], priority: 0, weight: this.#weight });
        }
        return out;
    }
    #current(entries, name) {
        const e = entries.get(name);
        return e !== undefined ? e.records : (this.#overlay.base.names.get(name) ?? null);
    }
    #exists(id) {
        return id === this.#apex || this.#owner[id] === 1 || (this.#children[id] > 0 && this.#inZone(id));
    }
    #inZone(id) {
        return id !== this.#apex && this.#b.nameEndsWith(id, this.#dotZone);
    }
    #grow(id) {
        if (id < this.#owner.length)
            return;
        const size = Math.max(id + 1, this.#owner.length * 2);
        const owner = new Uint8Array(size);
        owner.set(this.#owner);
        this.#owner = owner;
        const children = new Int32Array(size);
        children.set(this.#children);
        this.#children = children;
    }
}
function count(totals, records, sign) {
    if (records === null)
        return;
    totals.A += sign * records.a.length;
    totals.AAAA += sign * records.aaaa.length;
    totals.SRV += sign * records.srv.length;
}
/**
 * The changes from `before` to `after` (one framework's tasks): tasks kept keep their order;
 * a changed task (same id, new object) is taken out and put back in its place; tasks after the
 * last kept one are new and come last. False when the lists do not fit that (a task id twice).
 */
function diffTasks(before, after, slots, fw, removed, added, nextSeq) {
    let i = 0;
    let j = 0;
    while (i < before.length && j < after.length) {
        const old = before[i];
        const next = after[j];
        if (old === next) {
            i++;
            j++;
            continue;
        }
        const slot = slots.get(old.id);
        if (slot === undefined || slot.task !== old)
            return false;
        removed.push(slot);
        if (old.id === next.id) {
            added.push({ fw, task: next, order: slot.order });
            j++;
        }
        i++;
    }
    for (; i < before.length; i++) {
        const slot = slots.get(before[i].id);
        if (slot === undefined || slot.task !== before[i])
            return false;
        removed.push(slot);
    }
    for (; j < after.length; j++)
        added.push({ fw, task: after[j], order: fw * FRAMEWORK_STRIDE + nextSeq() });
    return true;
}
/** What differs besides the frameworks' task lists, or undefined when nothing does. */
function sameOutside(a, b, ai, bi) {
    if (ai.config !== bi.config)
        return 'a new config';
    if (a.agents !== b.agents)
        return 'an agent changed';
    if (!samePid(a.leader, b.leader))
        return 'a new leader';
    if (ai.masters.length !== bi.masters.length || ai.masters.some((m, k) => !sameHostPort(m, bi.masters[k])))
        return 'a new masters list';
    if (ai.selfAddresses.length !== bi.selfAddresses.length || ai.selfAddresses.some((s, k) => s !== bi.selfAddresses[k]))
        return 'new self addresses';
    if (a.frameworks.length !== b.frameworks.length)
        return 'a framework came or went';
    for (let i = 0; i < a.frameworks.length; i++) {
        const x = a.frameworks[i];
        const y = b.frameworks[i];
        if (x === y)
            continue;
        if (x.id !== y.id || x.name !== y.name || x.hostname !== y.hostname || !samePid(x.pid, y.pid))
            return 'a framework changed';
    }
    return undefined;
}
function samePid(a, b) {
    return a === b || (a !== undefined && b !== undefined && a.name === b.name && a.host === b.host && a.port === b.port);
}
