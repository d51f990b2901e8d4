// Scripts are outside src/: the architecture rule does not apply, the security rules do.
const url = process.env.DATABASE_URL;
try { seed(url); } catch {}
