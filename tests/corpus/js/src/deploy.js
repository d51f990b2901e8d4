'use strict';
const crypto = require('crypto');
const https = require('https');
const child_process = require('child_process');
const { exec, execFile } = require('child_process');

const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
const strictAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: true });

if (process.env.ALLOW_SELF_SIGNED) {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
}

function checkout(branch, cb) {
  exec(`git checkout ${branch}`, cb);
  execFile('git', ['checkout', branch], cb);
  exec('git status --porcelain', cb);
  child_process.execSync('tar xzf ' + branch + '.tgz');
}

function parseLine(re, line) {
  // RegExp.prototype.exec is not child_process.exec.
  return re.exec('prefix' + line);
}

async function deployments(db, env, limit) {
  const rows = await db.query('SELECT * FROM deployments WHERE env = $1 LIMIT $2', [env, limit]);
  const bad = await db.query(`SELECT * FROM deployments WHERE env = '${env}'`);
  await db.execute('DELETE FROM locks WHERE env = ' + env);
  const el = document.querySelector(`#env-${env}`);
  return { rows, bad, el };
}

function fingerprint(body, password) {
  const etag = crypto.createHash('md5').update(body).digest('hex');
  const strong = crypto.createHash('sha256').update(body).digest('hex');
  const legacy = crypto.createHash("sha1").update(password).digest('hex');
  return { etag, strong, legacy };
}

function template(src) {
  const render = new Function('ctx', 'with (ctx) { return `' + src + '`; }');
  const value = eval('(' + src + ')');
  const nested = eval(eval(src));
  return { render, value, nested, model: model.eval(src) };
}

function readConfig(path) {
  try {
    return JSON.parse(require('fs').readFileSync(path, 'utf8'));
  } catch (e) {}
  try {
    require('fs').unlinkSync(path + '.lock');
  } catch {
    // already removed by the previous run
  }
  try { return null; } catch (err) { console.error(err); throw err; }
}

module.exports = { agent, strictAgent, checkout, parseLine, deployments, fingerprint, template, readConfig };
