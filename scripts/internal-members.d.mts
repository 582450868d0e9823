/** Types for internal-members.mjs (the test of the published types imports it). */
export declare const INTERNAL_MEMBERS: string[]
