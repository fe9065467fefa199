#!/usr/bin/env python3
"""Helpers of bench/run.sh (`make bench`): build and check the request
bodies of the five shapes, turn the SQL the server sent (captured from the
PostgreSQL log) into pgbench scripts, time the shape 3 filter with and
without its trigram index, and write BENCHMARKS.md from the measured files.

Standard library only. Every number in the report is read from files that
run.sh wrote during the run; nothing is typed by hand.
"""

import argparse
import base64
import glob
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import urllib.error
import urllib.request


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def gid(kind, uuid):
    """Global ID of a row: base64url without padding of "Type:uuid"."""
    return base64.urlsafe_b64encode(f"{kind}:{uuid}".encode()).decode().rstrip("=")


# ---------------------------------------------------------------- shapes

MEMBER_FIELDS = """
        edges {
          cursor
          node { id email firstName lastName createdAt }
          membership { role status }
        }"""

SHAPES = {
    "s1": {
        "short": "page of 50 members",
        "title": "Shape 1: a page of 50 members, newest first, with totalCount and pageInfo",
        "query": """query Shape1($tenant: ID!) {
  node(id: $tenant) {
    ... on Tenant {
      members(first: 50, includeSubsidiaries: false) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }""" + MEMBER_FIELDS + """
      }
    }
  }
}""",
    },
    "s2": {
        "short": "20 artists × 10 releases × 10 tracks",
        "title": "Shape 2: 20 artists, their first 10 releases, their first 10 tracks",
        "query": """query Shape2($tenant: ID!) {
  node(id: $tenant) {
    ... on Tenant {
      artists(first: 20, includeSubsidiaries: false) {
        edges {
          node {
            id name
            releases(first: 10) {
              edges {
                node {
                  id title releaseDate
                  tracks(first: 10) {
                    edges { node { id position title isrc durationSeconds } }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}""",
    },
    "s3": {
        "short": "members by role and email fragment",
        "title": "Shape 3: members filtered by role (ADMIN, USER) and an email fragment, with totalCount",
        "query": """query Shape3($tenant: ID!, $fragment: String!) {
  node(id: $tenant) {
    ... on Tenant {
      members(first: 50, includeSubsidiaries: false,
              filter: { membershipRole: { in: [ADMIN, USER] }, email: { contains: $fragment } }) {
        totalCount
        pageInfo { hasNextPage endCursor }""" + MEMBER_FIELDS + """
      }
    }
  }
}""",
    },
    "s4": {
        "short": "page of 50, 10,000 rows deep",
        "title": "Shape 4: shape 1 but 10,000 rows deep, reached by cursor",
        "query": """query Shape4($tenant: ID!, $after: String!) {
  node(id: $tenant) {
    ... on Tenant {
      members(first: 50, after: $after, includeSubsidiaries: false) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }""" + MEMBER_FIELDS + """
      }
    }
  }
}""",
    },
    "s5": {
        "short": "node(id) of a random user",
        "title": "Shape 5: node(id:) lookup of a random user of the tenant",
        "query": """query Shape5($id: ID!) {
  node(id: $id) {
    ... on User { id email firstName lastName createdAt }
  }
}""",
    },
}

DEEP_QUERY = """query Deep($tenant: ID!, $after: String) {
  node(id: $tenant) {
    ... on Tenant {
      members(first: 500, after: $after, includeSubsidiaries: false) {
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}"""

ALL_SHAPES = ("s1", "s2", "s3", "s4", "s5")

NODES_QUERY = """query Check($ids: [ID!]!) { nodes(ids: $ids) { id } }"""


def post(url, auth, body):
    """POST a GraphQL body; returns (status, parsed JSON, raw length)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json", "Authorization": auth})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
            return r.status, json.loads(raw), len(raw)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw), len(raw)
        except ValueError:
            return e.code, {"errors": [{"message": raw[:300].decode(errors="replace")}]}, len(raw)


def checked(url, auth, body, what):
    status, resp, size = post(url, auth, body)
    if status != 200 or resp.get("errors") or resp.get("data") is None:
        die(f"{what}: HTTP {status}: {json.dumps(resp)[:600]}")
    return resp, size


def count_edges(obj):
    """Number of edge objects anywhere in a response."""
    if isinstance(obj, dict):
        n = len(obj["edges"]) if isinstance(obj.get("edges"), list) else 0
        return n + sum(count_edges(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(count_edges(v) for v in obj)
    return 0


def cmd_free_port(a):
    # Bound together, so that the ports differ.
    socks = [socket.socket() for _ in range(a.count)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


def cmd_prepare(a):
    """Write the request bodies of the shapes into the work folder, reach
    the 10,000-deep cursor by paging, and check every shape once."""
    work, url, auth = a.work, a.url, a.auth
    shapes = a.shapes.split()
    tenant = gid("Tenant", a.tenant_id)
    variables = {
        "s1": {"tenant": tenant},
        "s2": {"tenant": tenant},
        "s3": {"tenant": tenant, "fragment": a.fragment},
    }
    # Shape 4: page 500 at a time to row `depth`, exactly as a client would.
    after, pages = None, (a.depth // 500 if "s4" in shapes else 0)
    for i in range(pages):
        resp, _ = checked(url, auth, {"query": DEEP_QUERY, "variables": {"tenant": tenant, "after": after}},
                          f"paging to the deep cursor (page {i + 1})")
        pi = resp["data"]["node"]["members"]["pageInfo"]
        if not pi["hasNextPage"]:
            die(f"the tenant has fewer than {a.depth} members")
        after = pi["endCursor"]
    variables["s4"] = {"tenant": tenant, "after": after}

    with open(a.user_ids) as f:
        users = [line.strip() for line in f if line.strip()]
    if not users:
        die("no user IDs for shape 5")
    ids = [gid("User", u) for u in users]
    with open(os.path.join(work, "s5.ids"), "w") as f:
        f.write("\n".join(ids) + "\n")
    # Every ID must resolve: another tenant's user would answer null and
    # measure something else.
    for i in range(0, len(ids) if "s5" in shapes else 0, 500):
        resp, _ = checked(url, auth, {"query": NODES_QUERY, "variables": {"ids": ids[i:i + 500]}}, "checking shape 5 IDs")
        missing = [ids[i + j] for j, n in enumerate(resp["data"]["nodes"]) if n is None]
        if missing:
            die(f"shape 5: {len(missing)} user IDs are not visible to the tenant, e.g. {missing[0]}")
    variables["s5"] = {"id": "__ID__"}

    for name in shapes:
        body = {"query": SHAPES[name]["query"], "variables": variables[name]}
        with open(os.path.join(work, name + ".json"), "w") as f:
            json.dump(body, f)
        probe = dict(body)
        if name == "s5":
            probe = {"query": body["query"], "variables": {"id": ids[0]}}
        resp, size = checked(url, auth, probe, f"checking {name}")
        node = resp["data"]["node"]
        if node is None:
            die(f"{name}: node is null")
        sql = (resp.get("extensions") or {}).get("sql")
        if sql is None:
            die(f"{name}: the response has no extensions.sql: is SQL_STATS on?")
        info = {"bytes": size, "edges": count_edges(resp["data"]), "sql": sql}
        if name in ("s1", "s3", "s4"):
            info["totalCount"] = node["members"]["totalCount"]
        with open(os.path.join(work, name + ".check.json"), "w") as f:
            json.dump(info, f, indent=1)
        print(f"  {name}: {info['edges']} edges, {size} bytes, "
              f"{sql['statements']} statements + {sql['overheadStatements']} overhead")


def cmd_send(a):
    """Send one request of a shape (shape 5 with the first ID), for the log
    capture; with --prefix pg. PostGraphile's request."""
    with open(os.path.join(a.work, a.prefix + a.shape + ".json")) as f:
        body = json.load(f)
    if a.shape == "s5":
        with open(os.path.join(a.work, "s5.uuids" if a.prefix else "s5.ids")) as f:
            body["variables"]["id"] = f.readline().strip()
    checked(a.url, a.auth, body, "capturing " + a.prefix + a.shape)


def cmd_probe(a):
    """While wrk runs, send a few requests of the shape and record the
    statement counts their responses report: batching must hold under load.
    With --prefix pg. the requests go to PostGraphile (no statement counts;
    errors and empty answers are what the probes can see)."""
    import time
    with open(os.path.join(a.work, a.prefix + a.shape + ".json")) as f:
        body = json.load(f)
    ids = []
    if a.shape == "s5":
        with open(os.path.join(a.work, "s5.uuids" if a.prefix else "s5.ids")) as f:
            ids = [line.strip() for line in f if line.strip()]
    deadline = time.time() + a.until
    time.sleep(a.delay)
    seen = []
    for i in range(a.count):
        if seen and time.time() > deadline:
            break
        if ids:
            body["variables"]["id"] = random.choice(ids)
        status, resp, _ = post(a.url, a.auth, body)
        sql = (resp.get("extensions") or {}).get("sql") or {}
        data = resp.get("data") or {}
        seen.append({"status": status, "errors": bool(resp.get("errors")),
                     "empty": not data or any(v is None for v in data.values()),
                     "statements": sql.get("statements"), "overhead": sql.get("overheadStatements")})
        time.sleep(a.interval)
    with open(os.path.join(a.work, a.prefix + a.shape + ".probe.json"), "w") as f:
        json.dump(seen, f)


# ------------------------------------------------------- log -> pgbench

ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (LOG|DETAIL|ERROR|STATEMENT|WARNING|HINT|CONTEXT|FATAL):  (.*)$")


def log_entries(text):
    """Split PostgreSQL stderr log text (log_line_prefix '%m [%p] ') into
    (pid, level, message) entries; continuation lines start with a tab."""
    out = []
    for line in text.split("\n"):
        m = ENTRY.match(line)
        if m:
            out.append([m.group(1), m.group(2), m.group(3)])
        elif out and line.startswith("\t"):
            out[-1][2] += "\n" + line[1:]
    return out


def parse_params(s):
    """Parse `$1 = 'a', $2 = NULL, ...` into {1: "'a'", 2: "NULL"} (values
    kept as SQL literals)."""
    params, i = {}, 0
    while i < len(s):
        m = re.compile(r"\s*\$(\d+) = ").match(s, i)
        if not m:
            break
        n, i = int(m.group(1)), m.end()
        if s.startswith("NULL", i):
            params[n], i = "NULL", i + 4
        else:
            if s[i] != "'":
                die("cannot parse log parameters: " + s[:200])
            j = i + 1
            while True:
                j = s.index("'", j)
                if j + 1 < len(s) and s[j + 1] == "'":
                    j += 2
                    continue
                break
            params[n], i = s[i:j + 1], j + 1
        if s.startswith(",", i):
            i += 1
    return params


def bind(sql, params):
    """Replace $n outside string literals by the literal values."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'":
            j = i + 1
            while True:
                j = sql.index("'", j)
                if j + 1 < n and sql[j + 1] == "'":
                    j += 2
                    continue
                break
            out.append(sql[i:j + 1])
            i = j + 1
            continue
        m = re.compile(r"\$(\d+)").match(sql, i)
        if m:
            out.append(params[int(m.group(1))])
            i = m.end()
            continue
        out.append(c)
        i += 1
    return "".join(out)


def split_top_level(sql):
    """Split a multi-statement string at semicolons outside literals."""
    parts, cur, i, quote = [], [], 0, False
    for c in sql:
        if c == "'":
            quote = not quote
        if c == ";" and not quote:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def captured_statements(text):
    """The statements of one request, in order, with literal parameters:
    a list of (protocol, sql) where protocol is 'simple' or 'extended'."""
    stmts, pending = [], None
    for pid, level, msg in log_entries(text):
        if level == "LOG" and msg.startswith("statement: "):
            stmts.append(["simple", msg[len("statement: "):]])
        elif level == "LOG" and re.match(r"execute [^:]*: ", msg):
            stmts.append(["extended", re.sub(r"^execute [^:]*: ", "", msg)])
            pending = stmts[-1]
        elif level == "DETAIL" and msg.startswith("parameters: ") and pending is not None:
            pending[1] = bind(pending[1], parse_params(msg[len("parameters: "):]))
            pending = None
    return stmts


def pgbench_script(stmts):
    """pgbench script text: one command per statement; a multi-statement
    string (the transaction preamble) stays one round trip with \\;."""
    lines = []
    for proto, sql in stmts:
        sql = " ".join(sql.split())  # one line per command; no literal holds a newline
        parts = split_top_level(sql)
        lines.append(" \\;\n".join(parts) + ";")
    return "\n".join(lines) + "\n"


def cmd_capture(a):
    with open(a.log, "rb") as f:
        f.seek(a.offset)
        text = f.read().decode(errors="replace")
    stmts = captured_statements(text)
    if not stmts:
        die(f"no statements captured for {a.shape} (is log_statement=all active?)")
    # A read ends its snapshot with ROLLBACK (nothing to commit), a write
    # with COMMIT.
    if stmts[-1][1].strip().upper() not in ("COMMIT", "ROLLBACK"):
        die(f"{a.shape}: the captured statements do not end the transaction: {stmts[-1][1][:100]}")
    with open(os.path.join(a.work, a.shape + ".sql.json"), "w") as f:
        json.dump(stmts, f, indent=1)
    script = pgbench_script(stmts)
    if a.shape != "s5":
        with open(os.path.join(a.work, a.shape + ".pgbench.sql"), "w") as f:
            f.write(script)
        scripts = [a.shape + ".pgbench.sql"]
    else:
        # One script per user ID (pgbench has no arrays to pick from):
        # pgbench picks one of the scripts at random for every transaction.
        with open(os.path.join(a.work, "s5.ids")) as f:
            ids = [line.strip() for line in f if line.strip()]
        uuids = [base64.urlsafe_b64decode(g + "=" * (-len(g) % 4)).decode().split(":", 1)[1] for g in ids]
        first = uuids[0]
        if script.count(first) != 1:
            die(f"s5: expected the user id {first} once in the captured SQL, found {script.count(first)}")
        rnd = random.Random(42)
        chosen = [first] + rnd.sample(uuids[1:], min(a.variants, len(uuids)) - 1)
        os.makedirs(os.path.join(a.work, "s5.pgbench"), exist_ok=True)
        scripts = []
        for k, u in enumerate(chosen):
            name = os.path.join("s5.pgbench", f"{k:03d}.sql")
            with open(os.path.join(a.work, name), "w") as f:
                f.write(script.replace(first, u))
            scripts.append(name)
    with open(os.path.join(a.work, a.shape + ".pgbench.list"), "w") as f:
        f.write("\n".join(scripts) + "\n")
    print(f"  {a.shape}: {len(stmts)} statements captured")


# ------------------------------------------------------- PostGraphile

# The shapes PostGraphile runs, written for the schema PostGraphile v5
# (Amber preset) generates from the same tables: rowId is a table's id
# column, id the global Node ID (as this server's id). They ask for the same
# rows and columns as this server's: the members page is the tenant's
# memberships without terminated users (the `NOT user_deleted` of this
# server's member lists), newest first, each with its user; the releases of
# an artist come through release_artists, newest link first (a link's
# created_at is its release's: PostGraphile cannot order a link table by a
# column of the row it points to); tracks in running order.
PG_SHAPES = {
    "s1": """query Shape1($tenant: UUID!) {
  tenantByRowId(rowId: $tenant) {
    membershipsByTenantId(first: 50, orderBy: [CREATED_AT_DESC, ROW_ID_DESC], condition: { userDeleted: false }) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges {
        cursor
        node {
          role status
          userByUserId { id email firstName lastName createdAt }
        }
      }
    }
  }
}""",
    "s2": """query Shape2($tenant: UUID!) {
  tenantByRowId(rowId: $tenant) {
    artistsByTenantId(first: 20, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
      edges {
        node {
          id name
          releaseArtistsByArtistId(first: 10, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
            edges {
              node {
                releaseByReleaseId {
                  id title releaseDate
                  tracksByReleaseId(first: 10, orderBy: [POSITION_ASC, ROW_ID_ASC]) {
                    edges { node { id position title isrc durationSeconds } }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}""",
    "s5": """query Shape5($id: UUID!) {
  userByRowId(rowId: $id) { id email firstName lastName createdAt }
}""",
}
PG_SHAPE_NAMES = ("s1", "s2", "s5")


def cmd_scope(a):
    """The role and tenant settings of this server's request transaction,
    read from the preamble of a captured request: PostGraphile must run
    with exactly these."""
    for shape in a.shapes.split():
        path = os.path.join(a.work, shape + ".sql.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            stmts = json.load(f)
        for _, sql in stmts:
            if not sql.lstrip().upper().startswith("BEGIN"):
                continue
            role = re.search(r"SET LOCAL ROLE (\w+)", sql)
            all_t = re.search(r"set_config\('app\.all_tenants', '([^']*)', true\)", sql)
            ids = re.search(r"set_config\('app\.tenant_ids', '([^']*)', true\)", sql)
            if not (role and all_t and ids):
                die(f"scope: cannot read the role and tenant settings from the preamble of {shape}: {sql[:300]}")
            with open(os.path.join(a.work, "scope.txt"), "w") as f:
                f.write(f"role={role.group(1)}\nall_tenants={all_t.group(1)}\ntenant_ids={ids.group(1)}\n")
            print(f"  role {role.group(1)}, app.all_tenants={all_t.group(1)}, app.tenant_ids={ids.group(1)}")
            return
    die("scope: no captured request with a transaction preamble")


def pg_checked(url, body, what):
    status, resp, size = post(url, "", body)
    if status != 200 or resp.get("errors") or resp.get("data") is None:
        die(f"PostGraphile, {what}: HTTP {status}: {json.dumps(resp)[:600]}")
    return resp, size


def uuid_of(global_id):
    """The UUID in one of this server's global IDs (base64url "Type:uuid")."""
    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().split(":", 1)[1]


def pg_uuid_of(node_id):
    """The UUID in one of PostGraphile's Node IDs (base64 of ["Type", uuid])."""
    return json.loads(base64.b64decode(node_id))[1]


def cmd_pg_prepare(a):
    """Write PostGraphile's request bodies (pg.s1.json ...), check that its
    requests see exactly the tenants of the scope (row-level security on),
    that each shape answers without errors, and compare the rows with this
    server's answer to the same shape."""
    work, url = a.work, a.url
    shapes = [s for s in a.shapes.split() if s in PG_SHAPE_NAMES]
    scope = read_kv(os.path.join(work, "scope.txt"))
    want = sorted(x for x in scope.get("tenant_ids", "").split(",") if x)
    resp, _ = pg_checked(url, {"query": "{ allTenants { totalCount nodes { rowId } } }"}, "visible tenants")
    seen = sorted(n["rowId"] for n in resp["data"]["allTenants"]["nodes"])
    if scope.get("all_tenants") != "on" and seen != want:
        die(f"PostGraphile sees tenants {seen}, the scope is {want}: its settings are not those of the server")
    resp, _ = pg_checked(url, {"query": "query($id: UUID!) { userByRowId(rowId: $id) { id } }",
                               "variables": {"id": a.foreign_user_id}}, "a user of another tenant")
    if resp["data"]["userByRowId"] is not None:
        die("PostGraphile returns a user who is no member of the tenant: row-level security is not in force")
    with open(os.path.join(work, "pg.scope.check.json"), "w") as f:
        json.dump({"visible_tenants": seen, "foreign_user_hidden": True}, f)
    print(f"  row-level security holds: {len(seen)} tenant(s) visible, a user of another tenant is hidden")

    ours = {}
    for s in shapes:
        p = os.path.join(work, s + ".json")
        if os.path.exists(p) and a.server_url:
            with open(p) as f:
                body = json.load(f)
            if s == "s5":
                with open(os.path.join(work, "s5.ids")) as f:
                    body["variables"]["id"] = f.readline().strip()
            ours[s] = checked(a.server_url, a.auth, body, "our " + s)[0]["data"]

    with open(os.path.join(work, "s5.uuids")) as f:
        uuids = [line.strip() for line in f if line.strip()]
    for s in shapes:
        variables = {"tenant": a.tenant_id} if s != "s5" else {"id": "__ID__"}
        body = {"query": PG_SHAPES[s], "variables": variables}
        with open(os.path.join(work, "pg." + s + ".json"), "w") as f:
            json.dump(body, f)
        probe = body if s != "s5" else {"query": body["query"], "variables": {"id": uuids[0]}}
        resp, size = pg_checked(url, probe, "checking " + s)
        data = resp["data"]
        info = {"bytes": size, "edges": count_edges(data)}
        same = None
        if s == "s1":
            conn = data["tenantByRowId"]["membershipsByTenantId"]
            info["totalCount"] = conn["totalCount"]
            rows = [pg_uuid_of(e["node"]["userByUserId"]["id"]) for e in conn["edges"]]
            if len(rows) != 50:
                die(f"PostGraphile s1: {len(rows)} members instead of 50")
            if s in ours:
                mine = ours[s]["node"]["members"]
                same = ([uuid_of(e["node"]["id"]) for e in mine["edges"]] == rows
                        and mine["totalCount"] == conn["totalCount"])
        elif s == "s2":
            arts = data["tenantByRowId"]["artistsByTenantId"]["edges"]
            tree = [(pg_uuid_of(e["node"]["id"]),
                     [(pg_uuid_of(r["node"]["releaseByReleaseId"]["id"]),
                       [pg_uuid_of(t["node"]["id"]) for t in r["node"]["releaseByReleaseId"]["tracksByReleaseId"]["edges"]])
                      for r in e["node"]["releaseArtistsByArtistId"]["edges"]]) for e in arts]
            info["artists"] = len(tree)
            info["releases"] = sum(len(r) for _, r in tree)
            info["tracks"] = sum(len(t) for _, r in tree for _, t in r)
            if len(tree) != 20:
                die(f"PostGraphile s2: {len(tree)} artists instead of 20")
            if s in ours:
                mine = [(uuid_of(e["node"]["id"]), [(uuid_of(r["node"]["id"]), [uuid_of(t["node"]["id"]) for t in r["node"]["tracks"]["edges"]])
                                                   for r in e["node"]["releases"]["edges"]])
                        for e in ours[s]["node"]["artists"]["edges"]]
                same = mine == tree
                info["same_artists"] = [x for x, _ in mine] == [x for x, _ in tree]
        else:
            if data["userByRowId"] is None:
                die("PostGraphile s5: the first user is not visible")
            if s in ours:
                same = uuid_of(ours[s]["node"]["id"]) == pg_uuid_of(data["userByRowId"]["id"]) and \
                    ours[s]["node"]["email"] == data["userByRowId"]["email"]
            # Every ID of the list must resolve, as for this server.
            q = "query(" + ", ".join(f"$u{i}: UUID!" for i in range(250)) + ") {" + \
                " ".join(f"u{i}: userByRowId(rowId: $u{i}) {{ id }}" for i in range(250)) + " }"
            for i in range(0, len(uuids), 250):
                chunk = uuids[i:i + 250]
                if len(chunk) < 250:
                    chunk = chunk + [chunk[0]] * (250 - len(chunk))
                r2, _ = pg_checked(url, {"query": q, "variables": {f"u{k}": u for k, u in enumerate(chunk)}},
                                   "checking shape 5 IDs")
                missing = [k for k, v in r2["data"].items() if v is None]
                if missing:
                    die(f"PostGraphile s5: {len(missing)} user IDs are not visible, e.g. {chunk[int(missing[0][1:])]}")
        info["same_rows"] = same
        with open(os.path.join(work, "pg." + s + ".check.json"), "w") as f:
            json.dump(info, f, indent=1)
        print(f"  pg.{s}: {info['edges']} edges, {size} bytes" +
              ("" if same is None else ", same rows as this server's answer" if same else ", rows DIFFER from this server's answer"))


def cmd_pg_capture(a):
    """The statements PostGraphile sent for one request of a shape."""
    with open(a.log, "rb") as f:
        f.seek(a.offset)
        text = f.read().decode(errors="replace")
    # A pool connection's first use sets jit_optimize_above_cost once:
    # not a statement of the request.
    stmts = [x for x in captured_statements(text) if not x[1].lstrip().lower().startswith("set jit")]
    if not stmts:
        die(f"no statements captured for PostGraphile's {a.shape}")
    with open(os.path.join(a.work, "pg." + a.shape + ".sql.json"), "w") as f:
        json.dump(stmts, f, indent=1)
    n = pg_statement_counts(stmts)
    print(f"  pg.{a.shape}: {n['reads']} reads + {n['overhead']} transaction statements")


def pg_statement_counts(stmts):
    """Reads and transaction statements (begin, settings, commit) of a
    captured PostGraphile request."""
    overhead = 0
    for _, sql in stmts:
        x = " ".join(sql.split()).lower()
        if x.startswith(("begin", "commit", "rollback", "savepoint", "release savepoint", "set jit")) or \
                x.startswith("select set_config(el->>0, el->>1, true)"):
            overhead += 1
    return {"reads": len(stmts) - overhead, "overhead": overhead, "total": len(stmts)}


# ------------------------------------------------ shape 3 index timing

def psql(args, sql):
    r = subprocess.run(args + ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"], input=sql,
                       capture_output=True, text=True)
    if r.returncode != 0:
        die("psql failed: " + r.stderr.strip()[:800])
    return r.stdout


def reads_of(work, shape):
    """The preamble settings and the reads of a captured request."""
    with open(os.path.join(work, shape + ".sql.json")) as f:
        stmts = json.load(f)
    pre = next(i for i, (p, s) in enumerate(stmts) if s.lstrip().upper().startswith("BEGIN"))
    setup = split_top_level(" ".join(stmts[pre][1].split()))[1:]  # SET LOCAL ROLE, set_config
    reads = [" ".join(s.split()) for p, s in stmts[pre + 1:] if s.strip().upper() not in ("COMMIT", "ROLLBACK")]
    return setup, reads


def explain_once(psql_bin, setup, reads, role="app", drop=None):
    """Run each read in one transaction: planned once to warm the new
    backend's caches, then under EXPLAIN (ANALYZE, TIMING OFF) for the
    planning and execution times PostgreSQL reports, then once more plainly
    (output discarded) between two readings of the backend's CPU time
    (/proc/PID/schedstat), which competing processes do not inflate."""
    sql = ["SELECT pg_backend_pid() AS bench_pid \\gset", "\\setenv BENCH_PID :bench_pid",
           "BEGIN ISOLATION LEVEL REPEATABLE READ;"]
    if drop:
        sql.append(f"DROP INDEX {drop};")
    if role == "app":
        sql += [x + ";" for x in setup]
    for x in reads:
        sql += ["\\o /dev/null", "EXPLAIN " + x + ";", "\\o",  # loads the backend's caches for planning
                "\\echo @@PLAN@@", "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + x + ";",
                "\\echo @@CPU@@", "\\! cat /proc/$BENCH_PID/schedstat", "\\o /dev/null", x + ";", "\\o",
                "\\echo @@CPU@@", "\\! cat /proc/$BENCH_PID/schedstat"]
    sql += ["ROLLBACK;"]
    out = psql([psql_bin], "\n".join(sql) + "\n")
    parts = re.split(r"@@(CPU|PLAN)@@\n", out)[1:]
    cpu, plans = [], []
    for tag, body in zip(parts[0::2], parts[1::2]):
        if tag == "CPU":
            cpu.append(int(body.split()[0]))
        else:
            plans.append(body)
    if len(plans) != len(reads) or len(cpu) != 2 * len(reads):
        die("explain: unexpected psql output: " + out[:300])
    res = []
    for k, body in enumerate(plans):
        p = json.loads(body)[0]
        res.append({"exec_ms": p["Execution Time"], "plan_ms": p["Planning Time"],
                    "cpu_ms": (cpu[2 * k + 1] - cpu[2 * k]) / 1e6,
                    "uses_index": bool(drop is None and "users_email_trgm" in body)})
    return res


def cmd_explain(a):
    """Per statement costs of every shape's reads as the server runs them
    (role catalogue_app, row-level security on), and for shape 3 the same
    with its trigram index dropped inside a rolled-back transaction, and as
    the table owner, to whom row-level security does not apply."""
    out = {"runs": a.runs, "index": a.index, "shapes": {}, "s3": None}
    shapes = a.shapes.split()
    for shape in shapes:
        setup, reads = reads_of(a.work, shape)
        runs = [explain_once(a.psql, setup, reads) for _ in range(a.runs)]
        out["shapes"][shape] = [{
            "sql": x,
            "exec_ms": statistics.median(r[k]["exec_ms"] for r in runs),
            "plan_ms": statistics.median(r[k]["plan_ms"] for r in runs),
            "cpu_ms": statistics.median(r[k]["cpu_ms"] for r in runs),
        } for k, x in enumerate(reads)]
    if "s3" not in shapes:
        with open(os.path.join(a.work, "explain.json"), "w") as f:
            json.dump(out, f, indent=1)
        return
    setup, reads = reads_of(a.work, "s3")
    variants = {"app_with": ("app", None), "app_without": ("app", a.index),
                "owner_with": ("owner", None), "owner_without": ("owner", a.index)}
    runs = {v: [] for v in variants}
    for _ in range(a.runs):
        for v, (role, drop) in variants.items():
            runs[v].append(explain_once(a.psql, setup, reads, role, drop))
    s3 = {"statements": [], "total": {}}
    for k, x in enumerate(reads):
        st = {"sql": x}
        for v in variants:
            st[v + "_exec_ms"] = statistics.median(r[k]["exec_ms"] for r in runs[v])
            st[v + "_cpu_ms"] = statistics.median(r[k]["cpu_ms"] for r in runs[v])
            st[v + "_uses_index"] = runs[v][0][k]["uses_index"]
        s3["statements"].append(st)
    for v in variants:
        s3["total"][v + "_exec_ms"] = statistics.median(sum(x["exec_ms"] for x in r) for r in runs[v])
        s3["total"][v + "_cpu_ms"] = statistics.median(sum(x["cpu_ms"] for x in r) for r in runs[v])
    out["s3"] = s3
    with open(os.path.join(a.work, "explain.json"), "w") as f:
        json.dump(out, f, indent=1)
    t = s3["total"]
    print(f"  shape 3 as catalogue_app (row-level security): {t['app_with_exec_ms']:.1f} ms with {a.index},"
          f" {t['app_without_exec_ms']:.1f} ms without (backend CPU {t['app_with_cpu_ms']:.1f} / {t['app_without_cpu_ms']:.1f} ms)")
    print(f"  shape 3 as the table owner (no row-level security): {t['owner_with_exec_ms']:.1f} ms with,"
          f" {t['owner_without_exec_ms']:.1f} ms without (backend CPU {t['owner_with_cpu_ms']:.1f} / {t['owner_without_cpu_ms']:.1f} ms)")


# ------------------------------------------------------------ CPU use

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    """(ppid, utime+stime, cutime+cstime) of a process in clock ticks, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    # fields[0] is state (field 3); utime is field 14, cutime field 16.
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def descendants(pid):
    """pid and all its live descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(d)
            if st:
                children.setdefault(st[0], []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_snapshot(server_pid, pg_dir, shell_pid, tree=False):
    with open("/proc/stat") as f:
        cols = [int(x) for x in f.readline().split()[1:]]
    # user, nice, system, irq, softirq (guest time is inside user; idle,
    # iowait and steal are not work of this machine's processes)
    busy = cols[0] + cols[1] + cols[2] + cols[5] + cols[6]
    import time
    snap = {"time": time.time(), "busy": busy, "server": 0, "postgres": 0, "loadgen": 0}
    # The server: one process, or (tree) a process and its live
    # descendants, e.g. a Node cluster primary and its workers.
    pids = descendants(server_pid) if tree else [server_pid]
    snap["server_pids"] = pids
    for p in pids:
        st = proc_stat(p)
        if st:
            snap["server"] += st[1]
    postmaster = None
    try:
        with open(os.path.join(pg_dir, "postmaster.pid")) as f:
            postmaster = int(f.readline())
    except (OSError, ValueError):
        pass
    if postmaster:
        st = proc_stat(postmaster)
        if st:
            # Backends that ended (pgbench's) are in the postmaster's
            # children time; live ones are counted one by one.
            snap["postgres"] = st[1] + st[2]
        for d in os.listdir("/proc"):
            if d.isdigit():
                c = proc_stat(d)
                if c and c[0] == postmaster:
                    snap["postgres"] += c[1]
    st = proc_stat(shell_pid)
    if st:
        snap["loadgen"] = st[2]  # wrk and pgbench are the shell's waited-for children
    return snap


def cmd_cpu(a):
    snap = cpu_snapshot(a.server_pid, a.pg_dir, a.shell_pid, a.tree)
    snap["ticks_per_s"] = CLK_TCK
    with open(a.out, "w") as f:
        json.dump(snap, f)


def cpu_split(work, name, requests):
    """CPU seconds used during a measured run by the server, PostgreSQL, the
    load generator and everything else, and per request in ms."""
    try:
        with open(os.path.join(work, name + ".cpu0.json")) as f:
            a = json.load(f)
        with open(os.path.join(work, name + ".cpu1.json")) as f:
            b = json.load(f)
    except OSError:
        return None
    t = a["ticks_per_s"]
    out = {k: (b[k] - a[k]) / t for k in ("busy", "server", "postgres", "loadgen")}
    out["others"] = max(0.0, out["busy"] - out["server"] - out["postgres"] - out["loadgen"])
    out["elapsed"] = b["time"] - a["time"]
    out["processes"] = len(b.get("server_pids", [])) or None
    if requests:
        for k in ("server", "postgres", "loadgen", "others"):
            out[k + "_ms_per_req"] = out[k] * 1000 / requests
    return out


# --------------------------------------------------------- scale-out

SCALE_BEGIN = "<!-- scale-out: written by bench/bench.py (make bench with BENCH_SCALE) -->"
SCALE_END = "<!-- /scale-out -->"
# The tiers of the scale-out runs: the CPU groups bench/scale.sh measures.
SCALE_TIERS = ("servers", "primary", "standby", "pgbouncer", "haproxy", "loadgen")


def postgres_ticks(pg_dir):
    """CPU ticks of a cluster: its postmaster, the backends that ended (in
    the postmaster's children time) and the live ones."""
    try:
        with open(os.path.join(pg_dir, "postmaster.pid")) as f:
            postmaster = int(f.readline())
    except (OSError, ValueError):
        return 0
    st = proc_stat(postmaster)
    if not st:
        return 0
    total = st[1] + st[2]
    for d in os.listdir("/proc"):
        if d.isdigit():
            c = proc_stat(d)
            if c and c[0] == postmaster:
                total += c[1]
    return total


def cmd_scale_cpu(a):
    import time
    with open("/proc/stat") as f:
        cols = [int(x) for x in f.readline().split()[1:]]
    snap = {"time": time.time(), "busy": cols[0] + cols[1] + cols[2] + cols[5] + cols[6], "ticks_per_s": CLK_TCK}
    snap["servers"] = sum((proc_stat(int(p)) or (0, 0, 0))[1] for p in a.servers.split(",") if p)
    for kv in a.pid:
        name, pid = kv.split("=", 1)
        st = proc_stat(int(pid)) if pid else None
        snap[name] = st[1] if st else 0
    for kv in a.pg:
        name, d = kv.split("=", 1)
        snap[name] = postgres_ticks(d)
    st = proc_stat(a.shell_pid)
    snap["loadgen"] = st[2] if st else 0
    with open(a.out, "w") as f:
        json.dump(snap, f)


def scale_run(sdir, topo, shape):
    """req/s, latency and CPU ms per request by tier of one scale-out run."""
    wrk_path = os.path.join(sdir, f"{topo}.{shape}.wrk.txt")
    c0, c1 = (load_json(os.path.join(sdir, f"{topo}.{shape}.cpu{i}.json")) for i in (0, 1))
    if not os.path.exists(wrk_path) or not c0 or not c1:
        return None
    r = {"wrk": parse_wrk(wrk_path)}
    t = c0["ticks_per_s"]
    n = r["wrk"]["requests"] or 0
    r["elapsed"] = c1["time"] - c0["time"]
    r["cpu_s"] = {k: (c1.get(k, 0) - c0.get(k, 0)) / t for k in SCALE_TIERS + ("busy",)}
    r["cpu_s"]["others"] = max(0.0, r["cpu_s"]["busy"] - sum(r["cpu_s"][k] for k in SCALE_TIERS))
    r["ms"] = {k: v * 1000 / n if n else None for k, v in r["cpu_s"].items()}
    r["ms"]["work"] = sum(r["ms"][k] for k in ("servers", "primary", "standby", "pgbouncer", "haproxy")) if n else None
    # Where the servers' reads went during the run, from their /healthz.
    standby = primary = 0
    for p in glob.glob(os.path.join(sdir, f"{topo}.{shape}.health1.*.json")):
        h1 = load_json(p, {}).get("reads")
        h0 = load_json(p.replace(".health1.", ".health0."), {}).get("reads")
        if h1 and h0:
            standby += h1["standby"] - h0["standby"]
            primary += sum(h1["primary"].values()) - sum(h0["primary"].values())
    r["standby_share"] = standby / (standby + primary) if standby + primary else None
    return r


def scale_section(w, work, nproc):
    """The scale-out section, or nothing when the run made no scale-out."""
    sdir = os.path.join(work, "scale")
    senv = read_kv(os.path.join(sdir, "env.txt"))
    if not senv:
        return False
    shapes = senv.get("shapes", "").split()
    runs = {(topo, s): scale_run(sdir, topo, s) for topo in ("A", "B") for s in shapes}
    if not any(runs.values()):
        return False
    w(SCALE_BEGIN)
    w("## Scale-out: one process on the primary, two processes with a standby")
    w("")
    w(f"`BENCH_SCALE`: the same shapes, {senv.get('connections', '?')} connections, {senv.get('duration', '?')} s per run,"
      " through HAProxy in front of the server processes, which reach the primary through PgBouncer (transaction"
      " mode). **A**: one process, every read on the primary. **B**: two processes with `DATABASE_READ_URL` on a hot"
      " standby of the same cluster (pg_basebackup, streaming), so that query reads go to the standby. Measured on"
      f" {senv.get('date', '?')} at commit {senv.get('commit', '?')}, on the same {nproc} cores as everything else:"
      " **every process of both topologies shares those cores**, so req/s shows what one machine does; the CPU per"
      " request of each tier is what carries over to separate machines, and the capacity model below is built from it.")
    w("")
    w("| shape | topology | req/s | p50 | p99 | reads on the standby | CPU ms / request: servers | primary | standby | PgBouncer + HAProxy | wrk | others |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in shapes:
        for topo in ("A", "B"):
            r = runs[(topo, s)]
            if not r:
                w(f"| {s[1]}. {SHAPES[s]['short']} | {topo} | not run | | | | | | | | | |")
                continue
            m, wr = r["ms"], r["wrk"]
            bad = ""
            if wr["non2xx"] or wr["socket_errors"]:
                bad = f" ({wr['non2xx']} non-2xx, {wr['socket_errors']} socket errors)"
            w(f"| {s[1]}. {SHAPES[s]['short']} | {topo} | {fmt(wr['rps'])}{bad} | {ms(wr['p50'])} | {ms(wr['p99'])} |"
              f" {pct(r['standby_share']) if topo == 'B' else '—'} | {ms(m['servers'])} | {ms(m['primary'])} |"
              f" {ms(m['standby']) if topo == 'B' else '—'} | {ms((m['pgbouncer'] or 0) + (m['haproxy'] or 0))} |"
              f" {ms(m['loadgen'])} | {ms(m['others'])} |")
    w("")
    # The model: the mean CPU per request of each tier in B over the shapes
    # measured (an equal mix of them), and A's throughput as the 1× load.
    bs = [runs[("B", s)] for s in shapes if runs[("B", s)] and runs[("B", s)]["wrk"]["requests"]]
    as_ = [runs[("A", s)] for s in shapes if runs[("A", s)] and runs[("A", s)]["wrk"]["rps"]]
    if not bs or not as_:
        w(SCALE_END)
        return True

    def mean(xs):
        xs = [x for x in xs if x is not None]
        return sum(xs) / len(xs) if xs else None
    app = mean(r["ms"]["servers"] for r in bs)
    prim = mean(r["ms"]["primary"] for r in bs)
    stby = mean(r["ms"]["standby"] for r in bs)
    prox = mean((r["ms"]["pgbouncer"] or 0) + (r["ms"]["haproxy"] or 0) for r in bs)
    prim_a = mean(r["ms"]["primary"] for r in as_)
    # An equal mix by count: each request of the mix is one of the shapes
    # in turn, so A serves the harmonic mean of its shapes' rates. Other
    # processes on the machine lower that; the 1x load is instead what A's
    # own processes would serve on the cores by themselves, from their CPU
    # per request.
    served = len(as_) / sum(1 / r["wrk"]["rps"] for r in as_)
    work_a = mean(r["ms"]["servers"] + r["ms"]["primary"] + (r["ms"]["pgbouncer"] or 0) + (r["ms"]["haproxy"] or 0)
                  for r in as_)
    base = nproc * 1000 / work_a if work_a else served
    busy = sum(r["cpu_s"]["busy"] for r in runs.values() if r)
    others = sum(r["cpu_s"]["others"] for r in runs.values() if r)
    conns = int(senv.get("db_max_conns", "20"))
    pool = int(senv.get("bouncer_pool", "20"))
    gib = int(senv.get("db_bytes", "0")) / 2**30
    util = 0.6
    w("### Capacity model")
    w("")
    w(f"CPU per request in B, averaged over the shapes above (an equal mix by count): server processes {ms(app)}, primary"
      f" {ms(prim)} (in A, where it also serves the reads: {ms(prim_a)}), standby {ms(stby)}, PgBouncer + HAProxy"
      f" {ms(prox)}. One core therefore serves about **{fmt(1000 / app if app else None, 0)} req/s of server work,"
      f" {fmt(1000 / stby if stby else None, 0)} req/s of standby reads and {fmt(1000 / prim if prim else None, 0)} req/s of"
      " primary work**. What remains on the primary in B is the credential lookup of every request (it runs on the"
      " primary pool before the operation is known) and the standby checks; a credential cache takes most of it off.")
    w("")
    w(f"Processes outside both topologies took {pct(others / busy if busy else None)} of the machine's busy CPU time"
      " during these runs (the *others* column), which lowers req/s more than CPU per request. The 1× load below is"
      f" therefore what topology A's own processes (server, primary, PgBouncer, HAProxy) would serve on {nproc} cores"
      f" by themselves at their measured CPU per request: {fmt(base, 0)} req/s of this mix (each request one of the"
      f" shapes in turn; A served {fmt(served, 0)} req/s of it here, sharing the cores). Cores are counted at"
      f" {int(util * 100)} % utilisation; writes are not in the measured mix: each adds its transaction's CPU to the"
      " primary, and its WAL to every standby's replay.")
    w("")
    w("| load | req/s | server cores (processes of 2 cores) | standby cores | primary cores (credential lookups) | primary backends | standby backends (direct) |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for mult in (1, 10, 100):
        rps = base * mult
        c_app = rps * app / 1000 / util if app else None
        c_sb = rps * stby / 1000 / util if stby else None
        c_pr = rps * prim / 1000 / util if prim else None
        procs = max(1, -(-c_app // 2)) if c_app else None
        w(f"| {mult}× | {fmt(rps, 0)} | {fmt(c_app)} ({fmt(int(procs) if procs else None)}) | {fmt(c_sb)} | {fmt(c_pr)} |"
          f" {pool} (PgBouncer pool) | {fmt(int(procs) * conns if procs else None)} |")
    w("")
    w(f"- **Connections per process**: up to `DB_MAX_CONNS` ({conns}) client connections to PgBouncer, which holds"
      f" {pool} server connections to the primary whatever the number of processes, and up to {conns} direct"
      " connections to each standby. Past a few dozen processes the standbys need a PgBouncer of their own"
      " (transaction mode works there too), or `max_connections` grows with the fleet.")
    w(f"- **Where the primary saturates**: at {fmt(1000 / prim if prim else None, 0)} req/s per primary core with"
      " the reads on standbys (credential lookups), against"
      f" {fmt(1000 / prim_a if prim_a else None, 0)} req/s per core when it serves the reads too (A). With"
      " credentials cached, the primary's load is the writes alone, plus the WAL it streams to each standby.")
    w(f"- **10× and 100× tenants**: every list reads through indexes that lead with the tenant and pages by keyset,"
      " so the CPU per request stays about flat as tenants are added; the data does not. This database is"
      f" {fmt(gib, 1, ' GiB')}; each standby holds all of it: {fmt(gib * 10, 0, ' GiB')} at 10×, {fmt(gib * 100, 0, ' GiB')}"
      " at 100×, which a standby still holds on disk but no longer in memory. From there on, standbys multiply"
      " reads, not memory: distributing the tenant tables by tenant tree ([docs/SHARDING.md](docs/SHARDING.md))"
      " splits the data and the writes.")
    w(SCALE_END)
    return True


def cmd_scale_report(a):
    """Replaces the scale-out section of an existing report (or appends it),
    leaving the rest as it was: for BENCH_SCALE=only runs."""
    env = read_kv(os.path.join(a.work, "env.txt"))
    nproc = int(env.get("nproc", os.cpu_count() or 1))
    S = []
    if not scale_section(S.append, a.work, nproc):
        die("no scale-out measurements in " + os.path.join(a.work, "scale"))
    text = read_text(a.out) if os.path.exists(a.out) else ""
    section = "\n".join(S)
    if SCALE_BEGIN in text and SCALE_END in text:
        head, rest = text.split(SCALE_BEGIN, 1)
        tail = rest.split(SCALE_END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(a.out, "w") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    print("  wrote the scale-out section of " + a.out)


# ----------------------------------------------------------- profile

# Where the server's CPU samples go: each sample is assigned to the first
# category one of its stack frames matches, so the shares add up to 100 %.
PROFILE_CATEGORIES = [
    ("GC background marking", ("runtime.gcBgMarkWorker",)),
    ("goroutine stack growth", ("runtime.morestack", "runtime.newstack")),
    ("SQL: lib/pq, database/sql, sqlx, row scanning (catalogue/db)",
     ("github.com/lib/pq", "database/sql.", "github.com/jmoiron/sqlx", "catalogue/db.")),
    ("authentication (JWT, principal)", ("catalogue/internal/auth", "github.com/golang-jwt")),
    ("GraphQL: parse, validate, resolve, marshal (gqlgen, graph/)",
     ("github.com/99designs/gqlgen", "github.com/vektah/gqlparser", "catalogue/graph", "github.com/graph-gophers/dataloader")),
    ("HTTP and network I/O", ("net/http.", "net.", "internal/poll.", "bufio.", "catalogue/internal/api")),
    ("Go scheduler (finding work, switching goroutines, sysmon)",
     ("runtime.schedule", "runtime.findRunnable", "runtime.mcall", "runtime.park_m", "runtime.goexit0",
      "runtime.sysmon", "runtime.mstart", "runtime.goschedIfBusy", "runtime.gopreempt_m")),
    ("other Go runtime", ("runtime.",)),
]
ALLOC_FRAMES = ("runtime.mallocgc", "runtime.gcAssistAlloc", "runtime.gcBgMarkWorker", "runtime.newobject", "runtime.growslice")


def cmd_profile(a):
    r = subprocess.run(["perf", "script", "-i", a.data], capture_output=True, text=True)
    if r.returncode != 0:
        die("perf script: " + r.stderr[:300])
    counts, alloc, total = {}, 0, 0
    for block in r.stdout.split("\n\n"):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if len(lines) < 2:
            continue
        frames = [ln.split(None, 1)[1] if len(ln.split(None, 1)) > 1 else "" for ln in lines[1:]]
        total += 1
        cat = "other"
        for name, prefixes in PROFILE_CATEGORIES:
            if any(f.startswith(prefixes) for f in frames):
                cat = name
                break
        counts[cat] = counts.get(cat, 0) + 1
        if any(f.startswith(ALLOC_FRAMES) for f in frames):
            alloc += 1
    out = {"samples": total, "categories": {k: v / total for k, v in counts.items()} if total else {},
           "alloc_gc": alloc / total if total else None}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


# ------------------------------------------------------------ parsing

def parse_duration_ms(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s.strip())
    if not m:
        return None
    v, u = float(m.group(1)), m.group(2)
    return v * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[u]


def parse_wrk(path):
    with open(path) as f:
        text = f.read()
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", text)
    r["requests"] = int(m.group(1)) if m else None
    for pct in ("50", "75", "90", "99"):
        m = re.search(r"^\s+" + pct + r"(?:\.000)?%\s+(\S+)", text, re.M)
        r["p" + pct] = parse_duration_ms(m.group(1)) if m else None
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", text)
    r["mean"] = parse_duration_ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return r


def percentile(sorted_vals, p):
    if not sorted_vals:
        return None
    k = (len(sorted_vals) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def parse_pgbench(path, logs):
    with open(path) as f:
        text = f.read()
    r = {}
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text) or re.search(r"tps = ([\d.]+)", text)
    r["tps"] = float(m.group(1)) if m else None
    m = re.search(r"latency average = ([\d.]+) ms", text)
    r["mean"] = float(m.group(1)) if m else None
    m = re.search(r"number of transactions actually processed: (\d+)", text)
    r["transactions"] = int(m.group(1)) if m else None
    m = re.search(r"number of failed transactions: (\d+)", text)
    r["failed"] = int(m.group(1)) if m else 0
    lat = []
    for p in glob.glob(logs):
        with open(p) as f:
            for line in f:
                cols = line.split()
                if len(cols) >= 3 and cols[2].isdigit():
                    lat.append(int(cols[2]) / 1000.0)
    lat.sort()
    r["p50"], r["p99"] = percentile(lat, 50), percentile(lat, 99)
    r["logged"] = len(lat)
    return r


def read_kv(path):
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    out[k] = v
    return out


# -------------------------------------------------------------- report

def fmt(v, digits=1, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.{digits}f}{unit}"
    return f"{v:,}{unit}"


def pct(v, digits=0):
    return "n/a" if v is None else f"{v * 100:.{digits}f} %"


def ms(v, digits=2):
    return "n/a" if v is None else f"{v:,.{digits}f} ms"


def ratio(a, b):
    return a / b if a is not None and b else None


def label(sql):
    """A short name for a read: what it reads and how."""
    inner = sql.split("LATERAL", 1)[-1]
    tables = []
    for t in re.findall(r"(?:FROM|JOIN) (\w+)", inner):
        if t not in tables and t != "unnest":
            tables.append(t)
    what = " ⋈ ".join(tables) or "?"
    if "count(*)" in sql:
        return f"count of {what} (totalCount)"
    if "AS _key" in sql:
        return f"{what} by id"
    if "AS _parent" in sql:
        m = re.search(r"LIMIT (\d+)", inner)
        return f"page of {what}, per parent" + (f", LIMIT {m.group(1)}" if m else "")
    return sql[:60]


def cmd_report(a):
    work = a.work
    env = read_kv(os.path.join(work, "env.txt"))
    counts = read_kv(os.path.join(work, "counts.txt"))
    nproc = int(env.get("nproc", "1"))
    with open(os.path.join(work, "explain.json")) as f:
        explain = json.load(f)
    shapes = []
    for name in env.get("shapes", " ".join(ALL_SHAPES)).split():
        wrk = parse_wrk(os.path.join(work, name + ".wrk.txt"))
        pgb = parse_pgbench(os.path.join(work, name + ".pgbench.txt"), os.path.join(work, name + ".pgbench.log*"))
        with open(os.path.join(work, name + ".check.json")) as f:
            check = json.load(f)
        with open(os.path.join(work, name + ".sql.json")) as f:
            captured = json.load(f)
        mem = read_kv(os.path.join(work, name + ".mem.txt"))
        probe = []
        if os.path.exists(os.path.join(work, name + ".probe.json")):
            with open(os.path.join(work, name + ".probe.json")) as f:
                probe = json.load(f)
        prof = None
        if os.path.exists(os.path.join(work, name + ".profile.json")):
            with open(os.path.join(work, name + ".profile.json")) as f:
                prof = json.load(f)
        sh = {"name": name, "n": name[1], "wrk": wrk, "pgbench": pgb, "check": check, "captured": captured,
              "mem": mem, "profile": prof, "probe": probe, "reads": explain["shapes"][name],
              "cpu": cpu_split(work, name, wrk["requests"]),
              "pgcpu": cpu_split(work, name + ".pgbench", pgb["transactions"])}
        sh["ratio"] = ratio(wrk["rps"], pgb["tps"])
        c, pc = sh["cpu"], sh["pgcpu"]
        sh["cpu_ratio"] = None
        if c and pc and c.get("server_ms_per_req") is not None and pc.get("postgres_ms_per_req") is not None:
            sh["cpu_ratio"] = (pc["postgres_ms_per_req"] + pc["loadgen_ms_per_req"]) / (
                c["server_ms_per_req"] + c["postgres_ms_per_req"] + c["loadgen_ms_per_req"])
        rss = mem.get("VmHWM")
        sh["rss_mib"] = int(rss.split()[0]) / 1024 if rss else None
        shapes.append(sh)
    S = {s["name"]: s for s in shapes}
    s1, s2, s3, s4, s5 = (S.get(k) for k in ALL_SHAPES)

    def share(c, key):
        return c[key] / (nproc * c["elapsed"]) if c else None

    def cpu_req(s):
        c = s["cpu"]
        return c["server_ms_per_req"] + c["postgres_ms_per_req"] if c and c.get("server_ms_per_req") is not None else None

    deep = deep_pg = deep_cpu = None
    if s1 and s4:
        deep = ratio(s4["wrk"]["p50"], s1["wrk"]["p50"])
        deep_pg = ratio(s4["pgbench"]["p50"], s1["pgbench"]["p50"])
        deep_cpu = ratio(cpu_req(s4), cpu_req(s1))
    t3 = speedup = speedup_cpu = owner_speedup = owner_speedup_cpu = None
    if s3 and explain.get("s3"):
        t3 = explain["s3"]["total"]
        speedup = ratio(t3["app_without_exec_ms"], t3["app_with_exec_ms"])
        speedup_cpu = ratio(t3["app_without_cpu_ms"], t3["app_with_cpu_ms"])
        owner_speedup = ratio(t3["owner_without_exec_ms"], t3["owner_with_exec_ms"])
        owner_speedup_cpu = ratio(t3["owner_without_cpu_ms"], t3["owner_with_cpu_ms"])
    st2 = st2_load = None
    if s2:
        st2 = s2["check"]["sql"]["statements"]
        st2_load = sorted({p["statements"] for p in s2["probe"] if p["statements"] is not None})

    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w(f"Measured by `make bench` (`bench/run.sh`) on {env.get('date', '?')}. Every figure in this file was"
      " measured by that run and written by `bench/bench.py report` from its raw outputs (kept in"
      f" `{env.get('data_dir', '?')}/run/`); run `make bench` again to refresh it.")
    w("")
    w("## Results")
    w("")
    w(f"{env.get('connections', '?')} concurrent connections, {env.get('duration', '?')} s per measured run, on"
      f" {nproc} cores shared by wrk, the server and PostgreSQL. \"CPU-normalised\" divides out the CPU that"
      " other processes on the machine took during each run (see [What limits each shape](#what-limits-each-shape)).")
    w("")
    w("| shape | req/s | p50 | p99 | SQL statements / request | peak RSS | pgbench tps (same SQL) | server / pgbench | CPU-normalised |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in shapes:
        wr, pg, sql = s["wrk"], s["pgbench"], s["check"]["sql"]
        w(f"| {s['n']}. {SHAPES[s['name']]['short']} | {fmt(wr['rps'])} | {ms(wr['p50'])} | {ms(wr['p99'])} | "
          f"{sql['statements']} (+ {sql['overheadStatements']} overhead) | {fmt(s['rss_mib'], 0, ' MiB')} | "
          f"{fmt(pg['tps'])} | {pct(s['ratio'])} | {pct(s['cpu_ratio'])} |")
    w("")
    w("SQL statements per request are the response's `extensions.sql.statements` (the reads); the overhead statements"
      " are the credential lookup (none when the principal is cached), the transaction preamble and the `ROLLBACK`"
      " that ends the read-only snapshot before the response is written.")
    w("")

    def yes(b):
        return "yes" if b else "**no**"
    w("### Targets")
    w("")
    T = []
    w = T.append
    for s in (s1, s2, s5):
        if not s:
            continue
        w(f"| shape {s['n']}: ≥ 70 % of pgbench's throughput on the same SQL | {pct(s['ratio'])} | {pct(s['cpu_ratio'])} |"
          f" {yes(s['ratio'] is not None and s['ratio'] >= 0.7)} |")
    if s1 and s4:
        w(f"| shape 4 (10,000 rows deep) p50 within 1.2× of shape 1 | {fmt(deep, 2, '×')} | {fmt(deep_cpu, 2, '×')} (CPU per request) |"
          f" {yes(deep is not None and deep <= 1.2)} |")
    if t3:
        w(f"| shape 3 ≥ 20× faster with its index than without, as the server runs it | {fmt(speedup, 1, '×')} |"
          f" {fmt(speedup_cpu, 1, '×')} (backend CPU) | {yes(speedup is not None and speedup >= 20)} |")
    if s2:
        w(f"| shape 2: one statement per level (tenant, artists, releases, tracks: 4) | {st2}"
          + (f" (under load: {', '.join(map(str, st2_load))})" if st2_load else "") + f" | — | {yes(st2 <= 4 and all(x <= 4 for x in st2_load))} |")
    w = L.append
    if T:
        w("| target | measured | CPU-normalised | met (measured) |")
        w("| --- | --- | --- | --- |")
        L.extend(T)
    left_out = [x for x in ALL_SHAPES if x not in S]
    if left_out:
        w("")
        w(f"This run measured shape{'s' if len(shapes) > 1 else ''} {', '.join(s['n'] for s in shapes)} only"
          f" (`BENCH_SHAPES`); the targets of shape{'s' if len(left_out) > 1 else ''}"
          f" {', '.join(x[1] for x in left_out)} were not evaluated.")
    w("")
    side_by_side(w, work, env, S, nproc)

    w("## Machine")
    w("")
    w(f"- CPU: {env.get('cpu', '?')}; `nproc` = {nproc}")
    w(f"- Memory: {env.get('mem', '?')}; kernel {env.get('kernel', '?')}")
    w(f"- PostgreSQL {env.get('pg_version', '?')}: the server's private cluster in `{env.get('data_dir', '?')}/postgres`"
      f" (shared_buffers {env.get('shared_buffers', '?')}, otherwise defaults)")
    w(f"- {env.get('go', '?')}; {env.get('wrk', '?')}; {env.get('pgbench', '?')}")
    dirty = int(env.get("dirty", "0") or 0)
    w(f"- Code: commit `{env.get('commit', '?')}`" + (f" plus {dirty} changed or added files in the working tree,"
      " built as they were when the run started" if dirty else ", working tree clean apart from the benchmark itself"))
    w(f"- Server: `bin/catalogue` with `SQL_STATS=true LOG_LEVEL=warn SEED_DEMO=false`, pool `DB_MAX_CONNS`"
      f" {env.get('db_max_conns', '?')}, `LOADER_WAIT` {env.get('loader_wait', '?')}")
    others = [share(s["cpu"], "others") for s in shapes if s["cpu"]] + [share(s["pgcpu"], "others") for s in shapes if s["pgcpu"]]
    if others:
        w(f"- Load average before the run: {env.get('load_before', '?')}. Other processes took between"
          f" {min(others) * 100:.0f} % and {max(others) * 100:.0f} % of the machine's CPU during the measured runs"
          " (per run in the shape tables below).")
    w("")
    w("## Data set")
    w("")
    seed_note = (f", loaded once in {env['seed_seconds']} s and reused by later runs" if env.get("seed_seconds")
                 else ", loaded by an earlier run and reused")
    w(f"`bin/catalogue seed {env.get('seed_args', '?')}`{seed_note}, then `VACUUM (ANALYZE)`.")
    w("")
    w("| table | rows |")
    w("| --- | ---: |")
    for k, v in counts.items():
        w(f"| {k} | {int(v):,} |")
    w("")
    w(f"Requests act as the OWNER of `{env.get('tenant_slug', '?')}`, the largest tenant without subsidiaries"
      f" ({int(env.get('tenant_members', 0)):,} memberships), with a bearer token (`DEV_AUTH` HS256 secret of the data"
      f" folder). Shape 3's fragment `{env.get('fragment', '?')}` is in {int(env.get('fragment_users', 0)):,} emails"
      f" ({float(env.get('fragment_share', 0)) * 100:.2f} % of users), {int(env.get('fragment_members', 0)):,} of them"
      f" ADMIN or USER members of the tenant. Shape 5 picks one of {int(env.get('s5_ids', 0)):,} random members"
      f" of the tenant per request; its pgbench floor picks one of {env.get('s5_variants', '?')} scripts, one per"
      " member ID taken from the same list (pgbench cannot pick from a list within a script).")
    w("")
    w("## Method")
    w("")
    w(f"For each shape: a {env.get('warmup', '?')} s warm-up, then `wrk -t{env.get('threads', '?')}"
      f" -c{env.get('connections', '?')} -d{env.get('duration', '?')}s --latency` POSTing to `/graphql`"
      " (`bench/post.lua`, `bench/node.lua`); then the floor: the same SQL through"
      f" `pgbench -n -M simple -c {env.get('connections', '?')} -j {env.get('threads', '?')} -T {env.get('duration', '?')}`"
      f" after a {env.get('pg_warmup', '?')} s warm-up. The SQL was captured from the PostgreSQL log"
      " (`log_statement = all`, on only while the server answered one request of each shape), so a pgbench"
      " transaction is exactly what the server sends for one request, in order, with the parameter values inlined:"
      " the credential lookup (`UserAuthByID`), the preamble (`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
      " SET LOCAL ROLE catalogue_app; SELECT set_config(...)`, one round trip as in the server), the reads and"
      " the end of the snapshot (scripts: `s1.pgbench.sql` ... in the run folder). A few extra requests sent during each run"
      " check that the statement count holds under load.")
    w("")
    w("Peak RSS is the server's `VmHWM`, reset before each measured run (`echo 5 > /proc/PID/clear_refs`) and read"
      " after it. CPU time comes from `/proc`: the server process, the PostgreSQL cluster (postmaster, its live and"
      " its ended backends), the load generator (wrk or pgbench) and, by difference with the machine's busy time,"
      " other processes. Statement costs are medians of `EXPLAIN (ANALYZE, TIMING OFF)` over"
      f" {explain['runs']} runs in the server's transaction setup (role `catalogue_app`, tenant settings, row-level"
      " security), with the CPU time the backend used for each (`/proc/PID/schedstat`), which competing processes do"
      " not inflate. Where `perf` works, the server was sampled during each warm-up and each sample put in the first"
      " category one of its stack frames matches.")
    w("")

    w("## Shapes in detail")
    w("")
    for s in shapes:
        wr, pg, ck, c, pc = s["wrk"], s["pgbench"], s["check"], s["cpu"], s["pgcpu"]
        w(f"### {SHAPES[s['name']]['title']}")
        w("")
        w("| measure | through the server (wrk) | same SQL (pgbench) |")
        w("| --- | ---: | ---: |")
        w(f"| requests / transactions | {fmt(wr['requests'])} | {fmt(pg['transactions'])} |")
        w(f"| per second | {fmt(wr['rps'])} | {fmt(pg['tps'])} |")
        w(f"| latency p50 | {ms(wr['p50'])} | {ms(pg['p50'])} |")
        w(f"| latency p99 | {ms(wr['p99'])} | {ms(pg['p99'])} |")
        w(f"| errors | {wr['non2xx']} non-2xx, {wr['socket_errors']} socket | {pg['failed']} failed |")
        w(f"| statements sent, end of transaction included | {len(s['captured'])} | {len(s['captured'])} |")
        w(f"| protocol | extended, bind parameters ({sum(1 for p, _ in s['captured'] if p == 'extended')} statements)"
          f" + simple ({sum(1 for p, _ in s['captured'] if p != 'extended')}) | simple, values inlined |")
        if s["probe"]:
            got = sorted({p["statements"] for p in s["probe"] if p["statements"] is not None})
            bad = sum(1 for p in s["probe"] if p["status"] != 200 or p["errors"])
            w(f"| read statements per request under load ({len(s['probe'])} probes) | "
              f"{', '.join(str(x) for x in got) or 'n/a'}{f' ({bad} failed)' if bad else ''} | — |")
        if c and pc:
            w(f"| CPU per request: server | {ms(c.get('server_ms_per_req'))} | — |")
            w(f"| CPU per request: PostgreSQL | {ms(c.get('postgres_ms_per_req'))} | {ms(pc.get('postgres_ms_per_req'))} |")
            w(f"| CPU per request: wrk / pgbench | {ms(c.get('loadgen_ms_per_req'))} | {ms(pc.get('loadgen_ms_per_req'))} |")
            w(f"| CPU taken by other processes | {pct(share(c, 'others'), 1)} of the machine | {pct(share(pc, 'others'), 1)} |")
        w(f"| server peak RSS (VmHWM) | {fmt(s['rss_mib'], 1, ' MiB')} | — |")
        w("")
        extra = f"Response: {ck['bytes']:,} bytes, {ck['edges']} edges"
        if "totalCount" in ck:
            extra += f", totalCount {ck['totalCount']:,}"
        extra += "."
        if wr["requests"] is not None and wr["requests"] < 200:
            extra += (f" Only {wr['requests']} requests completed: CPU per request is approximate (requests still"
                      " running when the run ended used CPU but are not counted).")
        w(extra)
        w("")
        w("| read (as the server runs it) | planning | execution | backend CPU (both) |")
        w("| --- | ---: | ---: | ---: |")
        for r in s["reads"]:
            w(f"| {label(r['sql'])} | {ms(r.get('plan_ms'))} | {ms(r['exec_ms'])} | {ms(r['cpu_ms'])} |")
        w(f"| **all reads** | **{ms(sum(r.get('plan_ms', 0) for r in s['reads']))}** | **{ms(sum(r['exec_ms'] for r in s['reads']))}**"
          f" | **{ms(sum(r['cpu_ms'] for r in s['reads']))}** |")
        w("")
        if s["profile"] and s["profile"].get("samples"):
            pr = s["profile"]
            cats = sorted(pr["categories"].items(), key=lambda kv: -kv[1])
            w(f"Server CPU profile during the warm-up ({pr['samples']:,} perf samples): " +
              "; ".join(f"{k} {v * 100:.0f} %" for k, v in cats) +
              f". Allocation or GC is on {pct(pr['alloc_gc'])} of the sampled stacks.")
            w("")

    if t3:
        index_section(w, explain, t3, speedup, speedup_cpu, owner_speedup, owner_speedup_cpu)
    if deep is not None:
        w("## Deep pages")
        w("")
        w(f"Shape 4 (the page after row 10,000, reached by cursor) against shape 1 (the first page): p50"
          f" {ms(s4['wrk']['p50'])} vs {ms(s1['wrk']['p50'])}, **{fmt(deep, 2, '×')}**; p99 {ms(s4['wrk']['p99'])} vs"
          f" {ms(s1['wrk']['p99'])}. Through pgbench: p50 {ms(s4['pgbench']['p50'])} vs {ms(s1['pgbench']['p50'])}"
          f" ({fmt(deep_pg, 2, '×')}). CPU (server + PostgreSQL) per request: {ms(cpu_req(s4))} vs {ms(cpu_req(s1))}"
          f" ({fmt(deep_cpu, 2, '×')}). Reads: {ms(sum(r['exec_ms'] for r in s4['reads']))} vs"
          f" {ms(sum(r['exec_ms'] for r in s1['reads']))}. Other processes took {pct(share(s4['cpu'], 'others'))} of the"
          f" machine during the shape 4 run and {pct(share(s1['cpu'], 'others'))} during shape 1's.")
        w("")
    limits_section(w, env, explain, shapes, nproc, share, deep, deep_cpu, t3)
    scale_section(w, work, nproc)
    with open(a.out, "w") as f:
        f.write("\n".join(L))
    print("  wrote " + a.out)


def load_json(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def read_text(path):
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read().strip()


def pg_side(work, name):
    """PostGraphile's measurements of a shape, or why there are none."""
    reason = read_text(os.path.join(work, f"pg.{name}.reason")) or read_text(os.path.join(work, "pg.reason"))
    path = os.path.join(work, f"pg.{name}.wrk.txt")
    if not os.path.exists(path) or read_text(os.path.join(work, f"pg.{name}.reason")):
        return {"run": False, "reason": reason or "not measured"}
    wrk = parse_wrk(path)
    if wrk["rps"] is None or not wrk["requests"]:
        return {"run": False, "reason": "wrk measured no request (see " + os.path.basename(path) + ")"}
    stmts = load_json(os.path.join(work, f"pg.{name}.sql.json"))
    rss = read_kv(os.path.join(work, f"pg.{name}.mem.txt")).get("VmHWM")
    return {"run": True, "wrk": wrk, "cpu": cpu_split(work, "pg." + name, wrk["requests"]),
            "check": load_json(os.path.join(work, f"pg.{name}.check.json"), {}),
            "probe": load_json(os.path.join(work, f"pg.{name}.probe.json"), []),
            "statements": pg_statement_counts(stmts) if stmts else None,
            "rss_mib": int(rss.split()[0]) / 1024 if rss else None,
            "reason": reason}


def side_by_side(w, work, env, S, nproc):
    """The section comparing this server with PostGraphile on shapes 1, 2
    and 5, and its targets."""
    names = [n for n in PG_SHAPE_NAMES if n in S]
    w("## Side by side with PostGraphile")
    w("")
    if not names:
        w("Not run: none of shapes 1, 2 and 5 was selected (`BENCH_SHAPES`).")
        w("")
        return
    P = {n: pg_side(work, n) for n in names}
    ran = [n for n in names if P[n]["run"]]
    reason = read_text(os.path.join(work, "pg.reason"))
    if not ran:
        w("PostGraphile v5 (`bench/postgraphile`) over the same database, with the same row-level security, on"
          f" shape{'s' if len(names) > 1 else ''} {', '.join(n[1] for n in names)}. **It was not run: {P[names[0]]['reason']}.** Its columns say \"not run\".")
        w("")
    else:
        w(f"[PostGraphile](https://postgraphile.org) {env.get('pgl_version', '?')} (Amber preset, schema `public`) on"
          f" Node.js {env.get('pgl_node', '?')} (from the `node` npm package), {env.get('pgl_workers', '?')} worker"
          " processes of Node's cluster module behind one loopback port (`bench/postgraphile/server.mjs`,"
          f" `NODE_ENV=production`), a pool of at most {env.get('pgl_pool_max', '?')} connections per worker (this server:"
          f" {env.get('db_max_conns', '?')} in all), on the same PostgreSQL cluster and data. Every PostGraphile request"
          f" runs, through its `pgSettings`, as role `{env.get('pgl_role', '?')}` with"
          f" `app.all_tenants = {env.get('pgl_all_tenants', '?')}` and `app.tenant_ids = {env.get('pgl_tenant_ids', '?')}`:"
          " the settings this server's preamble set for the bench principal, read from the captured SQL, so the same"
          " row-level security policies decide what it sees. Before the runs the bench checks that PostGraphile sees"
          " exactly the scope's tenants and not a user of another tenant, and compares its answer to each shape with"
          " this server's (\"same rows\" below). To filter members on `user_deleted` and sort release links by"
          " `created_at` as this server does, PostGraphile's `PgIndexBehaviorsPlugin` is disabled (it only hides"
          " conditions and orderings on unindexed columns). PostGraphile authenticates nobody (its settings are"
          " fixed); this server verifies a JWT and looks its user up on every request. Each PostGraphile run is the"
          f" same wrk run as this server's ({env.get('warmup', '?')} s warm-up, then `wrk -t{env.get('threads', '?')}"
          f" -c{env.get('connections', '?')} -d{env.get('duration', '?')}s --latency`), made right after this server's run"
          " of the shape. Its server CPU is the primary's and the workers' (`/proc` utime + stime), PostgreSQL's the"
          " cluster's, as for this server. The queries are `PG_SHAPES` in `bench/bench.py`; shape 5 asks"
          " `userByRowId` for a UUID picked at random from the same 10,000 members as this server's `node(id:)`.")
        w("")
    if ran and len(ran) < len(names):
        w("**PostGraphile was not measured on every shape**: " +
          "; ".join(f"shape {n[1]}: {P[n]['reason']}" for n in names if not P[n]["run"]) + ".")
        w("")

    def nr(n):
        return "not run: " + P[n]["reason"]

    def ours_cpu(n, k):
        c = S[n]["cpu"]
        return c.get(k + "_ms_per_req") if c else None

    def pg_cpu(n, k):
        c = P[n].get("cpu")
        return c.get(k + "_ms_per_req") if c else None

    def x(v, digits=2):
        return "—" if v is None else f"{v:,.{digits}f}×"

    w("| shape | this server req/s | PostGraphile req/s | ratio | p99 this server | p99 PostGraphile |"
      " server CPU / req: this | server CPU / req: PostGraphile | PostgreSQL CPU / req: this | PostgreSQL CPU / req: PostGraphile |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in names:
        o, p = S[n], P[n]
        if p["run"]:
            w(f"| {n[1]}. {SHAPES[n]['short']} | {fmt(o['wrk']['rps'])} | {fmt(p['wrk']['rps'])} |"
              f" {x(ratio(o['wrk']['rps'], p['wrk']['rps']))} | {ms(o['wrk']['p99'])} | {ms(p['wrk']['p99'])} |"
              f" {ms(ours_cpu(n, 'server'))} | {ms(pg_cpu(n, 'server'))} | {ms(ours_cpu(n, 'postgres'))} |"
              f" {ms(pg_cpu(n, 'postgres'))} |")
        else:
            w(f"| {n[1]}. {SHAPES[n]['short']} | {fmt(o['wrk']['rps'])} | not run | — | {ms(o['wrk']['p99'])} | not run |"
              f" {ms(ours_cpu(n, 'server'))} | not run | {ms(ours_cpu(n, 'postgres'))} | not run |")
    w("")
    w("Ratio: this server's requests per second over PostGraphile's. CPU per request is CPU time over the measured"
      " run divided by the requests completed in it.")
    w("")

    for n in names:
        o, p = S[n], P[n]
        w(f"### {SHAPES[n]['title']}: this server and PostGraphile")
        w("")
        w("| measure | this server | PostGraphile | this server / PostGraphile |")
        w("| --- | ---: | ---: | ---: |")
        if not p["run"]:
            rows = [("requests per second", fmt(o["wrk"]["rps"])), ("latency p50", ms(o["wrk"]["p50"])),
                    ("latency p99", ms(o["wrk"]["p99"])), ("CPU per request: server", ms(ours_cpu(n, "server"))),
                    ("CPU per request: PostgreSQL", ms(ours_cpu(n, "postgres")))]
            for k, v in rows:
                w(f"| {k} | {v} | not run | — |")
            w("")
            if ran:
                w(f"PostGraphile {nr(n)}.")
                w("")
            continue
        ow, pw = o["wrk"], p["wrk"]
        oc, pc = o["cpu"] or {}, p["cpu"] or {}
        o_tot = (oc.get("server_ms_per_req") or 0) + (oc.get("postgres_ms_per_req") or 0) if oc.get("server_ms_per_req") is not None else None
        p_tot = (pc.get("server_ms_per_req") or 0) + (pc.get("postgres_ms_per_req") or 0) if pc.get("server_ms_per_req") is not None else None
        w(f"| requests completed | {fmt(ow['requests'])} | {fmt(pw['requests'])} | |")
        w(f"| requests per second | {fmt(ow['rps'])} | {fmt(pw['rps'])} | {x(ratio(ow['rps'], pw['rps']))} |")
        w(f"| latency p50 | {ms(ow['p50'])} | {ms(pw['p50'])} | {x(ratio(ow['p50'], pw['p50']))} |")
        w(f"| latency p99 | {ms(ow['p99'])} | {ms(pw['p99'])} | {x(ratio(ow['p99'], pw['p99']))} |")
        w(f"| CPU per request: server | {ms(oc.get('server_ms_per_req'))} (1 process) |"
          f" {ms(pc.get('server_ms_per_req'))} ({pc.get('processes', '?')} processes) |"
          f" {x(ratio(oc.get('server_ms_per_req'), pc.get('server_ms_per_req')))} |")
        w(f"| CPU per request: PostgreSQL | {ms(oc.get('postgres_ms_per_req'))} | {ms(pc.get('postgres_ms_per_req'))} |"
          f" {x(ratio(oc.get('postgres_ms_per_req'), pc.get('postgres_ms_per_req')))} |")
        w(f"| CPU per request: server + PostgreSQL | {ms(o_tot)} | {ms(p_tot)} | {x(ratio(o_tot, p_tot))} |")
        w(f"| CPU per request: wrk | {ms(oc.get('loadgen_ms_per_req'))} | {ms(pc.get('loadgen_ms_per_req'))} | |")
        sql = o["check"]["sql"]
        st = p["statements"]
        w(f"| SQL statements per request | {sql['statements']} read{'s' if sql['statements'] != 1 else ''} +"
          f" {sql['overheadStatements']} overhead |" +
          (f" {st['reads']} read{'s' if st['reads'] != 1 else ''} + {st['overhead']} transaction statements (begin, settings,"
           " commit) |" if st else " n/a |") + " |")
        w(f"| response size | {o['check']['bytes']:,} bytes | {fmt(p['check'].get('bytes'), 0, ' bytes')} | |")
        same = p["check"].get("same_rows")
        same_txt = {True: "yes", False: "**no**", None: "not compared"}[same]
        if n == "s2" and same is False and p["check"].get("same_artists"):
            same_txt = "same artists; releases differ (link order)"
        w(f"| same rows as this server's answer | — | {same_txt} | |")
        perr = sum(1 for q in p["probe"] if q["status"] != 200 or q["errors"] or q.get("empty"))
        probe_note = f"; {perr} of {len(p['probe'])} probes failed" if perr else ""
        w(f"| errors | {ow['non2xx']} non-2xx, {ow['socket_errors']} socket | {pw['non2xx']} non-2xx,"
          f" {pw['socket_errors']} socket{probe_note} | |")
        w(f"| peak RSS (VmHWM) | {fmt(o['rss_mib'], 1, ' MiB')} | {fmt(p['rss_mib'], 1, ' MiB')} (all processes) | |")
        oo = oc.get("others") / (nproc * oc["elapsed"]) if oc.get("elapsed") else None
        po = pc.get("others") / (nproc * pc["elapsed"]) if pc.get("elapsed") else None
        w(f"| CPU taken by other processes | {pct(oo, 1)} of the machine | {pct(po, 1)} | |")
        w("")

    # Targets
    w("### Targets")
    w("")

    def res(ok, text):
        w(f"- **{'met' if ok else 'not met'}**: {text}")
    for n in names:
        o, p = S[n], P[n]
        goal = f"shape {n[1]}: this server ≥ 1.5× PostGraphile's requests per second, with a p99 no higher than PostGraphile's"
        if not p["run"]:
            w(f"- **not evaluated**: {goal} (PostGraphile not run; this server {fmt(o['wrk']['rps'])} req/s,"
              f" p99 {ms(o['wrk']['p99'])})")
            continue
        r = ratio(o["wrk"]["rps"], p["wrk"]["rps"])
        fast = r is not None and r >= 1.5
        low = o["wrk"]["p99"] is not None and p["wrk"]["p99"] is not None and o["wrk"]["p99"] <= p["wrk"]["p99"]
        slow = "" if fast else ", below 1.5×"
        high = "" if low else ", higher than PostGraphile's"
        res(fast and low, f"{goal}: {x(r)} ({fmt(o['wrk']['rps'])} vs {fmt(p['wrk']['rps'])} req/s{slow});"
            f" p99 {ms(o['wrk']['p99'])} vs {ms(p['wrk']['p99'])}{high}")
    if "s2" in S:
        c = S["s2"]["cpu"]
        v = c.get("server_ms_per_req") if c else None
        res(v is not None and v <= 2.5, f"shape 2: this server's CPU per request ≤ 2.50 ms: {ms(v)}")
        st2 = S["s2"]["check"]["sql"]["statements"]
        load = sorted({q["statements"] for q in S["s2"]["probe"] if q["statements"] is not None})
        levels = 4
        res(st2 == levels and all(q == levels for q in load),
            f"shape 2: SQL statements per request equal to the levels of the plan (tenant, artists, releases, tracks:"
            f" {levels}): {st2}" + (f" (under load: {', '.join(map(str, load))})" if load else ""))
    w("")


def index_section(w, explain, t3, speedup, speedup_cpu, owner_speedup, owner_speedup_cpu):
    w("## Shape 3 with and without its index")
    w("")
    w(f"The reads of the captured shape 3 request, {explain['runs']} times each (medians); \"without\" drops"
      f" `{explain['index']}` inside a transaction that is rolled back. \"As the server runs them\": role"
      " `catalogue_app`, tenant settings, row-level security on. \"As the table owner\": the same SQL where"
      " row-level security does not apply, to show what the index can do. Execution time as EXPLAIN ANALYZE"
      " reports it / CPU time of the backend.")
    w("")
    w("| read | server's way, with index | server's way, without | table owner, with index | table owner, without |")
    w("| --- | ---: | ---: | ---: | ---: |")

    def cell(st, k):
        return (f"{st[k + '_exec_ms']:.1f} / {st[k + '_cpu_ms']:.1f} ms" +
                (" (index used)" if st.get(k + "_uses_index") else ""))
    for st in explain["s3"]["statements"]:
        w(f"| {label(st['sql'])} | {cell(st, 'app_with')} | {cell(st, 'app_without')} | {cell(st, 'owner_with')} | {cell(st, 'owner_without')} |")
    w(f"| **all reads** | **{cell(t3, 'app_with')}** | **{cell(t3, 'app_without')}** | **{cell(t3, 'owner_with')}** | **{cell(t3, 'owner_without')}** |")
    w(f"| **speed-up from the index** | **{fmt(speedup, 1, '×')} / {fmt(speedup_cpu, 1, '×')}** | |"
      f" **{fmt(owner_speedup, 1, '×')} / {fmt(owner_speedup_cpu, 1, '×')}** | |")
    w("")



def limits_section(w, env, explain, shapes, nproc, share, deep, deep_cpu, t3):
    w("## What limits each shape")
    w("")
    w(f"wrk, the server and PostgreSQL share {nproc} cores, which every run kept busy. A request through the server"
      " costs the server's CPU + PostgreSQL's + wrk's; a pgbench transaction costs PostgreSQL's + pgbench's. The"
      " CPU-normalised ratio, (PostgreSQL + pgbench CPU per transaction) / (server + PostgreSQL + wrk CPU per"
      " request), is roughly what the throughput ratio would be if nothing else ran on the machine. Only roughly:"
      " on a shared virtual machine the CPU time a piece of work takes also depends on what runs beside it"
      " (caches, memory bandwidth), and the server adds its own process to the two cores PostgreSQL runs on.")
    w("")
    w("| shape | server CPU / req | PostgreSQL CPU / req (server run) | PostgreSQL CPU / tx (pgbench) | CPU-normalised ratio | measured ratio |")
    w("| --- | ---: | ---: | ---: | ---: | ---: |")
    for s in shapes:
        c, pc = s["cpu"], s["pgcpu"]
        if s["cpu_ratio"] is None:
            continue
        w(f"| {s['n']} | {ms(c['server_ms_per_req'])} | {ms(c['postgres_ms_per_req'])} | {ms(pc['postgres_ms_per_req'])} |"
          f" {pct(s['cpu_ratio'])} | {pct(s['ratio'])} |")
    w("")
    for s in shapes:
        c, pc = s["cpu"], s["pgcpu"]
        facts = []
        reads = s["reads"]
        total_reads = sum(r["cpu_ms"] for r in reads)
        top = max(reads, key=lambda r: r["cpu_ms"]) if reads else None
        if top and total_reads > 0:
            facts.append(f"its most expensive read is the {label(top['sql'])}: {ms(top['cpu_ms'])} of the"
                         f" {ms(total_reads)} of backend CPU its reads take")
        plan = sum(r.get("plan_ms", 0) for r in reads)
        execu = sum(r["exec_ms"] for r in reads)
        if plan > execu:
            facts.append(f"PostgreSQL takes longer to plan its reads than to run them ({ms(plan)} vs {ms(execu)}):"
                         " lib/pq sends every statement as a new unnamed prepared statement, so each request parses"
                         " and plans its SQL again (the pgbench scripts, in the simple protocol, do the same)")
        if c and pc and c.get("server_ms_per_req") is not None:
            sv, pgs, pgp = c["server_ms_per_req"], c["postgres_ms_per_req"], pc["postgres_ms_per_req"]
            facts.append(f"the server spends {ms(sv)} of CPU per request ({sv / pgs:.2f}× PostgreSQL's {ms(pgs)})")
            if pgs > pgp * 1.1:
                facts.append(f"PostgreSQL spent {pgs / pgp:.2f}× the CPU on a request that it spent on a pgbench"
                             f" transaction of the same statements ({ms(pgs)} vs {ms(pgp)}; the server sends them with"
                             " the extended protocol and bind parameters, pgbench with the simple protocol, and the"
                             " server's own process shares the cores and caches with PostgreSQL)")
        if s["profile"] and s["profile"].get("categories") and s["profile"]["samples"] >= 200:
            cats = sorted(s["profile"]["categories"].items(), key=lambda kv: -kv[1])[:2]
            facts.append("the server's CPU goes mostly to " + " and ".join(f"{k} ({v * 100:.0f} %)" for k, v in cats) +
                         f"; allocation or GC is on {pct(s['profile']['alloc_gc'])} of its stacks")
        if s["name"] == "s2":
            facts.append(f"it resolves and marshals {s['check']['edges']} edges ({s['check']['bytes']:,} bytes) per"
                         " request, and gqlgen marshals each list element in a goroutine of its own")
        if s["name"] == "s3":
            sts = explain["s3"]["statements"]
            if not any(x["app_with_uses_index"] for x in sts) and any(x["owner_with_uses_index"] for x in sts):
                facts.append("the trigram index is never used as the server runs the SQL. Under row-level security"
                             " PostgreSQL evaluates a query's condition before the table's policy, or inside an index"
                             " scan, only if its operator is LEAKPROOF; ILIKE (`texticlike`) is not. So each of the"
                             f" tenant's {int(env.get('tenant_members', 0)):,} memberships is joined to its user, the"
                             " `users` policy (an EXISTS over memberships) runs for that user, and only then is the"
                             " email compared. The same SQL as the table owner uses the index:"
                             f" {t3['owner_with_exec_ms']:.1f} ms instead of {t3['app_with_exec_ms']:.1f} ms")
        if s["name"] == "s4" and deep is not None:
            if deep_cpu is not None and deep_cpu <= 1.2:
                facts.append(f"depth itself costs little: CPU per request is {fmt(deep_cpu, 2, '×')} shape 1's, as the"
                             " cursor becomes a keyset condition on the (tenant_id, created_at, id) index, and both"
                             " pages pay for the same totalCount")
            if deep > 1.2:
                facts.append(f"its p50 was {fmt(deep, 2, '×')} shape 1's")
        if facts:
            w(f"- **Shape {s['n']}**: " + "; ".join(facts) + ".")
    w("")
    w(f"Latency also includes waiting: each level of nesting waits `LOADER_WAIT` ({env.get('loader_wait', '?')}) to"
      " batch its dataloader keys, and a request's statements run one after another on its one connection.")
    w("")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("free-port")
    x.add_argument("--count", type=int, default=1)
    x = sub.add_parser("prepare")
    for k in ("work", "url", "auth", "tenant-id", "fragment", "user-ids"):
        x.add_argument("--" + k, required=True)
    x.add_argument("--shapes", default=" ".join(ALL_SHAPES))
    x.add_argument("--depth", type=int, default=10000)
    x = sub.add_parser("send")
    for k in ("work", "url", "auth", "shape"):
        x.add_argument("--" + k, required=True)
    x.add_argument("--prefix", default="", help="pg. for PostGraphile's request bodies")
    x = sub.add_parser("probe")
    for k in ("work", "url", "auth", "shape"):
        x.add_argument("--" + k, required=True)
    x.add_argument("--count", type=int, default=5)
    x.add_argument("--delay", type=float, default=2)
    x.add_argument("--interval", type=float, default=3)
    x.add_argument("--until", type=float, default=15, help="send no probe after this many seconds")
    x.add_argument("--prefix", default="", help="pg. for PostGraphile's request bodies")
    x = sub.add_parser("capture")
    for k in ("work", "log", "shape"):
        x.add_argument("--" + k, required=True)
    x.add_argument("--offset", type=int, required=True)
    x.add_argument("--variants", type=int, default=128)
    x = sub.add_parser("scope")
    x.add_argument("--work", required=True)
    x.add_argument("--shapes", default=" ".join(ALL_SHAPES))
    x = sub.add_parser("pg-prepare")
    for k in ("work", "url", "tenant-id", "foreign-user-id"):
        x.add_argument("--" + k, required=True)
    x.add_argument("--server-url", default="", help="this server's /graphql, to compare the rows")
    x.add_argument("--auth", default="")
    x.add_argument("--shapes", default=" ".join(PG_SHAPE_NAMES))
    x = sub.add_parser("pg-capture")
    for k in ("work", "log", "shape"):
        x.add_argument("--" + k, required=True)
    x.add_argument("--offset", type=int, required=True)
    x = sub.add_parser("explain")
    for k in ("work", "psql"):
        x.add_argument("--" + k, required=True)
    x.add_argument("--index", default="users_email_trgm")
    x.add_argument("--shapes", default=" ".join(ALL_SHAPES))
    x.add_argument("--runs", type=int, default=7)
    x = sub.add_parser("cpu")
    x.add_argument("--server-pid", type=int, required=True)
    x.add_argument("--shell-pid", type=int, required=True)
    x.add_argument("--pg-dir", required=True)
    x.add_argument("--out", required=True)
    x.add_argument("--tree", action="store_true", help="count the server's live descendants too")
    x = sub.add_parser("profile")
    x.add_argument("--data", required=True)
    x.add_argument("--out", required=True)
    x = sub.add_parser("report")
    x.add_argument("--work", required=True)
    x.add_argument("--out", required=True)
    x = sub.add_parser("scale-cpu")
    x.add_argument("--out", required=True)
    x.add_argument("--shell-pid", type=int, required=True)
    x.add_argument("--servers", required=True, help="PIDs of the server processes, comma-separated")
    x.add_argument("--pid", action="append", default=[], help="name=PID of another process")
    x.add_argument("--pg", action="append", default=[], help="name=data folder of a PostgreSQL cluster")
    x = sub.add_parser("scale-report")
    x.add_argument("--work", required=True)
    x.add_argument("--out", required=True)
    a = p.parse_args()
    {"free-port": cmd_free_port, "prepare": cmd_prepare, "scope": cmd_scope, "pg-prepare": cmd_pg_prepare,
     "pg-capture": cmd_pg_capture, "send": cmd_send, "probe": cmd_probe, "capture": cmd_capture,
     "explain": cmd_explain, "cpu": cmd_cpu, "profile": cmd_profile, "report": cmd_report,
     "scale-cpu": cmd_scale_cpu, "scale-report": cmd_scale_report}[a.cmd](a)


if __name__ == "__main__":
    main()
