// A SCIM 2.0 server built on SCIMMY + scimmy-routers, used by idsync's
// integration tests as "a SCIM implementation nobody on this project wrote".
//
// Storage is in memory and deliberately plain, the way the SCIMMY docs show
// it: egress hands SCIMMY every stored resource matching the request's
// filter and lets SCIMMY page it. That keeps SCIMMY's own behaviour intact,
// including its quirks (see design.md §7): case-sensitive filters, a page
// past the end repeating the first items, a list that costs O(n) per page.
//
// Usage: SCIMMY_TOKEN=secret node server.js [PORT]   (PORT may be 0)
// With SCIMMY_EXIT_ON_STDIN_EOF=1 it exits when its stdin closes.
// Prints "listening 127.0.0.1:PORT" on stdout once it accepts connections.
// Base URL: http://127.0.0.1:PORT/scim/v2
import crypto from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const token = process.env.SCIMMY_TOKEN ?? "";
if (token === "") {
    console.error("server.js: set SCIMMY_TOKEN");
    process.exit(2);
}
const port = Number(process.argv[2] ?? process.env.PORT ?? 0);

const notFound = (kind, id) => new SCIMMY.Types.Error(404, null, `${kind} ${id} not found`);
const conflict = (msg) => new SCIMMY.Types.Error(409, "uniqueness", msg);
// Plain JSON copy: drops SCIMMY's class instances and undefined values.
const plain = (v) => JSON.parse(JSON.stringify(v));

// store builds ingress/egress/degress handlers over one Map, with a
// uniqueness check on one attribute. The check is an exact (case-sensitive)
// match, like SCIMMY's own filters: a realistic deviation from RFC 7643,
// which says userName is case-insensitive.
function store(kind, uniqueAttr) {
    const items = new Map();
    return {
        items,
        async ingress(resource, data) {
            const id = resource.id ?? crypto.randomUUID();
            const old = items.get(id);
            if (resource.id && !old) throw notFound(kind, id);
            const value = plain(data);
            for (const [otherID, other] of items) {
                if (otherID !== id && other[uniqueAttr] === value[uniqueAttr]) {
                    throw conflict(`${kind} with ${uniqueAttr} "${value[uniqueAttr]}" already exists`);
                }
            }
            const now = new Date().toISOString();
            const stored = {
                ...value,
                id,
                meta: {created: old?.meta?.created ?? now, lastModified: now},
            };
            items.set(id, stored);
            return stored;
        },
        async egress(resource) {
            if (resource.id) {
                const one = items.get(resource.id);
                if (!one) throw notFound(kind, resource.id);
                return [one];
            }
            const all = [...items.values()];
            return resource.filter ? resource.filter.match(all) : all;
        },
        async degress(resource) {
            if (!items.delete(resource.id)) throw notFound(kind, resource.id);
        },
    };
}

const users = store("User", "userName");
const groups = store("Group", "displayName");

// A user read by ID lists the groups that have it as a member, in the
// read-only "groups" attribute (RFC 7643 4.1.2), as real servers do; list
// pages leave it out, which keeps them cheap.
const groupsOf = (id) => [...groups.items.values()]
    .filter((g) => (g.members ?? []).some((m) => m.value === id))
    .map((g) => ({value: g.id, display: g.displayName, type: "direct"}));

SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    ingress: users.ingress,
    async egress(resource) {
        const found = await users.egress(resource);
        if (!resource.id) return found;
        return found.map((u) => ({...u, groups: groupsOf(u.id)}));
    },
    degress: users.degress,
    // Without this, employeeNumber, department, ... are silently dropped.
    extensions: [{schema: SCIMMY.Schemas.EnterpriseUser, required: false}],
});
SCIMMY.Resources.declare(SCIMMY.Resources.Group, {
    ingress: groups.ingress,
    egress: groups.egress,
    degress: groups.degress,
});

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (req) => {
        const got = req.header("Authorization") ?? "";
        const want = `Bearer ${token}`;
        if (got.length !== want.length || !crypto.timingSafeEqual(Buffer.from(got), Buffer.from(want))) {
            throw new Error("invalid bearer token");
        }
        return "idsync";
    },
}));

const server = app.listen(port, "127.0.0.1", () => {
    const addr = server.address();
    console.log(`listening ${addr.address}:${addr.port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// A test launcher holds our stdin open; when it dies, so do we.
if (process.env.SCIMMY_EXIT_ON_STDIN_EOF) {
    process.stdin.on("end", () => process.exit(0));
    process.stdin.resume();
}
