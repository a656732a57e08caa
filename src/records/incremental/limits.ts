/** Changed tasks in one patch above which the caller builds in full instead (incremental-table.ts). */
export const MAX_PATCH_TASKS = 2000;
