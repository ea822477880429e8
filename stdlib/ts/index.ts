// The TypeScript reference implementations of pol's builtins, as named in
// stdlib/signatures.ts (called by the interpreter), plus glob/tool matching
// and the regex compiler and searcher used by the checker and interpreter.

export { lower, upper, lowerCp, upperCp } from "./case.js";
export { trim, len, starts_with, ends_with, contains } from "./text.js";
export { domain, host, is_url } from "./url.js";
export { in_cidr, is_ip, validCidr } from "./cidr.js";
export { REFUSAL, lastRefusal } from "./host.js";
export { is_email, has_pii } from "./pii.js";
export { globMatch, toolMatch } from "./glob.js";
export { date, time, is_date, is_time, todayOf, nowOf } from "./dates.js";
export { urls, emails } from "./links.js";
export { compileRegex, dfaSearch, serializeDfa, deserializeDfa, type CompileResult, type Dfa } from "../regex/index.js";
