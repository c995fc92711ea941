#!/usr/bin/env node
// k8s-validate.cjs FILE... - validates every object of multi-document YAML files against
// the Kubernetes OpenAPI schema (npm kubernetes-models + @kubernetes-models/validate,
// offline). Prints one line per problem; exits 1 if any object is invalid or of a kind
// the models do not know. NODE_PATH must point at the node_modules holding the models.
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');

function modulePath(apiVersion, kind) {
  // "v1" -> kubernetes-models/v1/Kind; "apps/v1" -> kubernetes-models/apps/v1/Kind
  if (!/^[a-z0-9.]+(\/[a-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) return null;
  return `kubernetes-models/${apiVersion}/${kind}`;
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
    } catch (e) {
      const details = (e.errors || []).map((x) => `${x.instancePath || '/'} ${x.message}${x.params && x.params.additionalProperty ? ' (' + x.params.additionalProperty + ')' : ''}`);
      console.log(`${where}: ${details.length ? details.join('; ') : e.message}`);
      bad++;
    }
  });
}
console.log(`${total} objects, ${bad} invalid`);
process.exit(bad || total === 0 ? 1 : 0);
