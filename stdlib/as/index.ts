// Entry of pol's AssemblyScript stdlib: everything the generated policy module
// imports (string refs, the arena, every builtin). asc drops whatever a module
// does not call. TypeScript twins live in stdlib/ts/.

export { sref, sptr, slen, str_eq, str_hash, num_hash, BOT, is_bot, tri_not } from "./str";
export { arenaStart, arenaAlloc } from "./arena";
export { std_lower, std_upper } from "./case";
export { std_trim, std_len, std_starts_with, std_ends_with, std_contains } from "./text";
export { std_domain, std_host, std_is_url } from "./url";
export { std_in_cidr, std_is_ip } from "./cidr";
export { lastRefusal } from "./host";
export { std_is_email, std_has_pii } from "./pii";
export { std_glob, std_tool_match } from "./glob";
export { std_dfa_search } from "./dfa";
export { std_date, std_time, std_is_date, std_is_time } from "./dates";
export { std_urls, std_emails } from "./links";
