/** One key per (framework id, task id): the length prefix keeps any two pairs apart. */
const waitingKey = (frameworkId, taskId) => `${frameworkId.length}:${frameworkId}${taskId}`;
export class LiveState {
    #leader;
    #agents = new Map();
    #frameworks = new Map();
    /** Tasks whose framework is not known yet (see StreamState.waitingTasks), in arrival order. */
    #waiting = new Map();
    /** How many waiting tasks each framework has, so framework events skip the scan when none. */
    #waitingPerFramework = new Map();
    #agentsView;
    #snapshot;
    constructor(state) {
        this.#leader = state.master.leader;
        this.reset(state);
    }
    /** Replaces everything with `state` (fresh from streamStateFromGetState, the caller keeps no
     * reference to change it): its arrays and frameworks become the first snapshot, so publishing a
     * new subscription's state costs no copy. */
    reset(state) {
        this.#agents = new Map(state.master.agents.map((a) => [a.id, a]));
        this.#frameworks = new Map();
        for (const fw of state.master.frameworks) {
            this.#frameworks.set(fw.id, { framework: fw, tasks: new Map(fw.tasks.map((t) => [t.id, t])), view: fw });
        }
        this.#waiting = new Map();
        this.#waitingPerFramework = new Map();
        for (const task of state.waitingTasks)
            this.#addWaiting(task);
        this.#agentsView = state.master.agents;
        this.#snapshot = state;
    }
    get leader() {
        return this.#leader;
    }
    /** The current state as immutable values; the same object until something changes. */
    snapshot() {
        if (this.#snapshot)
            return this.#snapshot;
        this.#agentsView ??= [...this.#agents.values()];
        const frameworks = [];
        for (const entry of this.#frameworks.values()) {
            entry.view ??= { ...entry.framework, tasks: [...entry.tasks.values()] };
            frameworks.push(entry.view);
        }
        const master = { leader: this.#leader, agents: this.#agentsView, frameworks };
        return (this.#snapshot = { master, waitingTasks: [...this.#waiting.values()] });
    }
    hasAgent(id) {
        return this.#agents.has(id);
    }
    hasFramework(id) {
        return this.#frameworks.has(id);
    }
    /** The task with this id in this framework, or waiting for it. */
    task(frameworkId, id) {
        const entry = this.#frameworks.get(frameworkId);
        return entry ? entry.tasks.get(id) : this.#waiting.get(waitingKey(frameworkId, id));
    }
    /** Adds the task, or replaces the one with its id in place; it waits when its framework is unknown. */
    putTask(task) {
        const entry = this.#frameworks.get(task.frameworkId);
        if (entry) {
            entry.tasks.set(task.id, task);
            this.#touch(entry);
        }
        else {
            this.#addWaiting(task);
            this.#snapshot = undefined;
        }
    }
    /** Removes the task; false when there was none. */
    removeTask(frameworkId, id) {
        const entry = this.#frameworks.get(frameworkId);
        if (entry) {
            if (!entry.tasks.delete(id))
                return false;
            this.#touch(entry);
            return true;
        }
        if (!this.#waiting.delete(waitingKey(frameworkId, id)))
            return false;
        this.#countWaiting(frameworkId, -1);
        this.#snapshot = undefined;
        return true;
    }
    /** Adds the framework or replaces its fields in place, keeping its tasks; tasks waiting for it
     * join it, after its own, in their arrival order. */
    putFramework(framework) {
        const known = this.#frameworks.get(framework.id);
        const entry = { framework, tasks: known?.tasks ?? new Map(), view: undefined };
        for (const task of this.#takeWaiting(framework.id))
            entry.tasks.set(task.id, task);
        this.#frameworks.set(framework.id, entry);
        this.#snapshot = undefined;
    }
    /** Removes the framework, its tasks and the tasks waiting for it; false when none of those existed. */
    removeFramework(id) {
        const removed = this.#frameworks.delete(id);
        const waited = this.#takeWaiting(id).length > 0;
        if (!removed && !waited)
            return false;
        this.#snapshot = undefined;
        return true;
    }
    /** Adds the agent, or replaces the one with its id in place. */
    putAgent(agent) {
        this.#agents.set(agent.id, agent);
        this.#agentsView = undefined;
        this.#snapshot = undefined;
    }
    /** Removes the agent; false when there was none. */
    removeAgent(id) {
        if (!this.#agents.delete(id))
            return false;
        this.#agentsView = undefined;
        this.#snapshot = undefined;
        return true;
    }
    #touch(entry) {
        entry.view = undefined;
        this.#snapshot = undefined;
    }
    #addWaiting(task) {
        const key = waitingKey(task.frameworkId, task.id);
        if (!this.#waiting.has(key))
            this.#countWaiting(task.frameworkId, 1);
        this.#waiting.set(key, task);
    }
    /** Removes and returns the tasks waiting for this framework, in arrival order. */
    #takeWaiting(frameworkId) {
        if (!this.#waitingPerFramework.has(frameworkId))
            return [];
        const taken = [];
        for (const [key, task] of this.#waiting) {
            if (task.frameworkId !== frameworkId)
                continue;
            taken.push(task);
            this.#waiting.delete(key);
        }
        this.#waitingPerFramework.delete(frameworkId);
        return taken;
    }
    #countWaiting(frameworkId, delta) {
        const n = (this.#waitingPerFramework.get(frameworkId) ?? 0) + delta;
        if (n > 0)
            this.#waitingPerFramework.set(frameworkId, n);
        else
            this.#waitingPerFramework.delete(frameworkId);
    }
}
