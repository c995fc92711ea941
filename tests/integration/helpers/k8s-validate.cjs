#!/usr/bin/env node
// k8s-validate.cjs FILE... - validates every object of multi-document YAML files against
// the Kubernetes OpenAPI schema (npm kubernetes-models + @kubernetes-models/validate,
// offline). Prints one line per problem; exits 1 if any object is invalid or of a kind
// the models do not know. NODE_PATH must point at the node_modules holding the models.
//
// The OpenAPI schemas allow unknown fields (the API server prunes or rejects them), so a
// typo such as "terminationGracePeriod" would pass. To catch those too, the object is
// validated through a proxy that records which fields the schema's validator reads: a
// field of a checked object that the validator never looked at is not in the schema.
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');

function modulePath(apiVersion, kind) {
  // "v1" -> kubernetes-models/v1/Kind; "apps/v1" -> kubernetes-models/apps/v1/Kind
  if (!/^[a-z0-9.]+(\/[a-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) return null;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

// Returns a proxy of obj that records, per object, the keys read through it.
function tracker(records) {
  const proxies = new Map();
  function wrap(obj, path) {
    if (obj === null || typeof obj !== 'object') return obj;
    if (proxies.has(obj)) return proxies.get(obj);
    const rec = { obj, path, read: new Set() };
    records.push(rec);
    const p = new Proxy(obj, {
      get(t, k, r) {
        const v = Reflect.get(t, k, r);
        if (typeof k !== 'string') return v;
        rec.read.add(k);
        return wrap(v, `${path}/${k}`);
      },
    });
    proxies.set(obj, p);
    return p;
  }
  return wrap;
}

function unknownFields(Model, obj) {
  const records = [];
  const plain = JSON.parse(JSON.stringify(obj));
  Model.prototype.validate.call(tracker(records)(plain, ''));
  const out = [];
  for (const r of records) {
    if (Array.isArray(r.obj)) continue;
    for (const k of Object.keys(r.obj)) if (!r.read.has(k)) out.push(`${r.path}/${k}`);
  }
  return out;
}

let bad = 0, total = 0;
for (const file of process.argv.slice(2)) {
  const docs = yaml.loadAll(fs.readFileSync(file, 'utf8')).filter((d) => d != null);
  docs.forEach((obj, i) => {
    const where = `${file}: document ${i + 1} (${obj.kind || '?'} ${obj.metadata && obj.metadata.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata && obj.metadata.name})`;
    total++;
    const mod = modulePath(String(obj.apiVersion), String(obj.kind));
    let Model;
    try {
      Model = mod && require(mod)[obj.kind];
    } catch (e) {
      Model = null;
    }
    if (!Model) {
      console.log(`${where}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      bad++;
      return;
    }
    try {
      new Model(obj).validate();
      const unknown = unknownFields(Model, obj);
      if (unknown.length) {
        console.log(`${where}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
        bad++;
      }
    } catch (e) {
      const details = (e.errors || []).map((x) => `${x.instancePath || '/'} ${x.message}${x.params && x.params.additionalProperty ? ' (' + x.params.additionalProperty + ')' : ''}`);
      console.log(`${where}: ${details.length ? details.join('; ') : e.message}`);
      bad++;
    }
  });
}
console.log(`${total} objects, ${bad} invalid`);
process.exit(bad || total === 0 ? 1 : 0);
