// Windows line endings and non-ASCII text before matches.
const étiquette = 'café'; const r = eval(étiquette); // 😀
const opts = { "rejectUnauthorized": false };
try { go(); } catch (e) {
}
