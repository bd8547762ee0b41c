// Validates the prometheus-operator resources of a Kubernetes manifest (ServiceMonitor,
// PrometheusRule) against the CRD schemas as kubernetes-models compiles them: types, required
// fields, patterns (durations), enums. kubernetes-validate, the judge of the core kinds, has no
// schema for these. Usage: node crd_validate.mjs FILE. Prints one line per resource; exits 1 when
// one is invalid, 3 when the file holds none (a vacuous pass is no pass).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";

const models = { ServiceMonitor, PrometheusRule };
const file = process.argv[2];
let checked = 0;
let invalid = 0;
for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
  if (document.errors.length > 0) {
    console.log(`invalid YAML: ${document.errors[0].message}`);
    invalid++;
    continue;
  }
  const resource = document.toJS();
  if (!resource || resource.apiVersion !== "monitoring.coreos.com/v1") continue;
  const Model = models[resource.kind];
  const name = `${resource.kind}/${resource.metadata?.name ?? "(no name)"}`;
  if (!Model) {
    console.log(`invalid ${name}: no schema for this kind`);
    invalid++;
    continue;
  }
  checked++;
  try {
    new Model(resource).validate();
    console.log(`valid ${name}`);
  } catch (error) {
    console.log(`invalid ${name}: ${error.message}`);
    invalid++;
  }
}
if (checked === 0 && invalid === 0) {
  console.log(`no monitoring.coreos.com/v1 resource in ${file}`);
  process.exit(3);
}
process.exit(invalid > 0 ? 1 : 0);
