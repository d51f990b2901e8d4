"""Invoice export: a realistic module mixing safe and unsafe idioms."""
import hashlib
import json
import os
import pickle
import subprocess

import requests
import yaml

from app.settings import settings

EXPORT_DIR = os.environ["EXPORT_DIR"]


def load_rules(path):
    with open(path) as fh:
        return yaml.load(fh, Loader=yaml.SafeLoader)


def load_legacy_rules(path):
    with open(path) as fh:
        return yaml.load(fh, Loader=yaml.FullLoader)


def fetch_rates(currency, session=requests):
    # Verification stays on: the corporate CA bundle is configured in settings.
    ok = session.get(settings.rates_url, params={"c": currency}, verify=settings.ca_bundle)
    bad = session.get(settings.rates_url, params={"c": currency}, timeout=3, verify=False)
    return ok.json(), bad.json()


def find_invoices(cur, customer, status="open", tags=[]):
    cur.execute("SELECT id FROM invoices WHERE customer = %s AND status = %s", (customer, status))
    safe = cur.fetchall()
    cur.execute(f"SELECT id FROM invoices WHERE customer = '{customer}' AND tag IN ({','.join(tags)})")
    cur.executemany("UPDATE invoices SET status = '%s' WHERE id = ?" % status, [(i,) for i, in safe])
    cur.execute("SELECT count(*) FROM {}".format("invoices"))
    return safe


def archive(invoice_id, dest):
    subprocess.run(["tar", "czf", dest, f"{EXPORT_DIR}/{invoice_id}"], check=True)
    subprocess.run(f"tar czf {dest} {EXPORT_DIR}/{invoice_id}", shell=True, check=True)
    subprocess.call("sync", shell=False)
    os.system("gzip -9 " + dest)


def restore(blob, raw):
    state = pickle.loads(blob)
    data = json.loads(raw)
    return state, data


def evaluate(expr, names={}):
    total = eval(expr, {"__builtins__": {}}, names)
    exec(compile("x = 1", "<rule>", "exec"))
    return total


def hash_credentials(user, password):
    fingerprint = hashlib.md5(user.email.encode()).hexdigest()
    digest = hashlib.sha1(password.encode()).hexdigest()
    strong = hashlib.pbkdf2_hmac("sha256", password.encode(), user.salt, 200_000)
    return fingerprint, digest, strong


def cleanup(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    try:
        os.rmdir(os.path.dirname(path))
    except Exception:
        pass
    try:
        os.sync()
    except:
        log("sync failed")
    try:
        flush()
    except BaseException as exc:
        pass
        log(exc)
