'use strict';
// Feeds roomhook's Tencent deploy files (serverless.yml, serverless.web.yml, serverless.purge.yml)
// to Tencent's own deployment logic and checks the Tencent Cloud API requests it would send, with
// the network replaced so that nothing leaves the machine.
//
//   node check.js CONFIG_JSON...   (each: {"file", "config": serverless.yml as JSON, "repo"})
//
// Tencent's Serverless Cloud Framework (`scf deploy`) hands a serverless.yml's inputs to the
// component named by `component:` (here `scf`), which uploads `src` as a zip to COS and calls
// tencent-component-toolkit's Scf.deploy with the inputs and the uploaded code. The component
// itself runs in Tencent's cloud and is not published; the toolkit is (npm), so this check plays
// the component's part: it resolves ${env:NAME} from the environment, stands in a COS object for
// the code, and calls Scf.deploy on a new function. Every HTTPS request the toolkit makes goes
// through the request library its API client (@tencent-sdk/capi) loads; that library is replaced
// before the toolkit loads, so each request is recorded (action, region, parameters) and
// answered as Tencent's API would answer for a function that does not exist yet.
const Module = require('module');
const fs = require('fs');
const path = require('path');

const requests = [];
let created = null; // the CreateFunction parameters, once sent
const realLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'request-promise-native' || request === 'request') {
    return fakeRequest;
  }
  return realLoad.apply(this, arguments);
};

// fakeRequest stands for request-promise-native: it takes the request options the API client
// built (signed v3 JSON, or v1 form) and resolves with the API's answer.
async function fakeRequest(opts) {
  const url = new URL(opts.url);
  let action, params;
  if (opts.headers && opts.headers['X-TC-Action']) {
    action = opts.headers['X-TC-Action'];
    params = typeof opts.body === 'string' ? JSON.parse(opts.body) : opts.body || {};
  } else {
    // The v1 API: signed form parameters, nested values flattened ("Code.CosBucketName",
    // "Environment.Variables.0.Key").
    params = unflatten(opts.form || Object.fromEntries(url.searchParams));
    action = params.Action;
  }
  const rec = { host: url.host, action, region: opts.headers ? opts.headers['X-TC-Region'] : params.Region, params };
  requests.push(rec);
  return { Response: Object.assign({ RequestId: 'deploycheck-' + requests.length }, answer(rec)) };
}

// unflatten rebuilds the nested parameters of a v1 form: a numeric segment is an array index.
function unflatten(form) {
  const out = {};
  for (const [key, value] of Object.entries(form)) {
    const parts = key.split('.');
    let node = out;
    parts.forEach((part, i) => {
      const k = /^\d+$/.test(part) ? Number(part) : part;
      if (i === parts.length - 1) {
        node[k] = value;
      } else {
        if (node[k] === undefined) node[k] = /^\d+$/.test(parts[i + 1]) ? [] : {};
        node = node[k];
      }
    });
  }
  return out;
}

// answer is what Tencent's API answers: a function that does not exist until CreateFunction.
function answer({ action, params }) {
  switch (action) {
    case 'GetFunction':
      if (!created) {
        return { Error: { Code: 'ResourceNotFound.Function', Message: `未找到指定的Function ${params.FunctionName}` } };
      }
      return Object.assign({}, created, { Status: 'Active', Qualifier: '$LATEST', Triggers: [], Tags: [] });
    case 'CreateFunction':
      created = params;
      return {};
    case 'ListTriggers':
      return { Triggers: [], TotalCount: 0 };
    case 'CreateTrigger':
      return { TriggerInfo: { Type: params.Type, TriggerName: params.TriggerName, TriggerDesc: params.TriggerDesc, Qualifier: params.Qualifier, Enable: 1 } };
    case 'GetTrigger':
      return { Error: { Code: 'ResourceNotFound.Trigger', Message: 'trigger not found' } };
    default:
      return {};
  }
}

const { Scf } = require('tencent-component-toolkit');

const failures = [];
function check(file, ok, what) {
  if (!ok) failures.push(`${file}: ${what}`);
}

// resolve replaces ${env:NAME} as the framework does, from the environment (its CLI's
// resolveVariables). A value that is ${env:NAME} alone, NAME unset, becomes undefined, and the
// CLI's JSON request to the component engine then leaves the key out: a variable the deployer
// does not export (ROOMHOOK_ARCHIVE_RETENTION, ROOMHOOK_CALLBACK_TOKEN) is not set on the
// function. Within a longer value an unset NAME would read "undefined": refused here.
function resolve(value) {
  if (typeof value === 'string') {
    const alone = /^\$\{env:([A-Za-z0-9_]+)\}$/.exec(value);
    if (alone) return process.env[alone[1]];
    return value.replace(/\$\{env:([A-Za-z0-9_]+)\}/g, (_, name) => {
      if (!(name in process.env)) throw new Error(`\${env:${name}} is not set`);
      return process.env[name];
    });
  }
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]).filter(([, v]) => v !== undefined));
  }
  return value;
}

// configNames are the environment variables roomhook reads (pkg/config), and the required one.
function configNames(repo) {
  const src = fs.readFileSync(path.join(repo, 'pkg/config/config.go'), 'utf8');
  const names = [...src.matchAll(/Env\w+\s*=\s*"(ROOMHOOK_[A-Z0-9_]+)"/g)].map((m) => m[1]);
  if (names.length === 0) throw new Error('no ROOMHOOK_ variable found in pkg/config/config.go');
  return names;
}

async function deploy(job) {
  const { file, config, repo } = job;
  requests.length = 0;
  created = null;
  check(file, config.component === 'scf', `component ${config.component}, want scf`);
  const inputs = resolve(config.inputs);
  const web = inputs.type === 'web';
  // The archive purge: serverless.yml's function again, run by a timer instead of a function URL.
  const purge = file === 'serverless.purge.yml';

  // The component's part: the code is the zip of src, uploaded to COS.
  const src = path.resolve(job.srcRoot || repo, inputs.src);
  const files = fs.existsSync(src) ? fs.readdirSync(src).sort() : [];
  const want = web ? ['main', 'scf_bootstrap'] : ['main'];
  check(file, JSON.stringify(files) === JSON.stringify(want), `src ${inputs.src} holds ${JSON.stringify(files)}, want ${JSON.stringify(want)} (scripts/build.sh)`);
  for (const f of files) {
    check(file, (fs.statSync(path.join(src, f)).mode & 0o111) !== 0, `${inputs.src}/${f} is not executable`);
  }
  inputs.code = { bucket: 'sls-cloudfunction-' + inputs.region + '-code', object: `/${inputs.name}-deploycheck.zip` };

  const scf = new Scf({ SecretId: 'AKIDdeploycheck', SecretKey: 'deploycheck' }, inputs.region);
  const log = console.log;
  console.log = () => {}; // the toolkit narrates its steps
  try {
    await scf.deploy(inputs);
  } finally {
    console.log = log;
  }

  const outside = requests.filter((r) => !/^[a-z]+\.tencentcloudapi\.com$/.test(r.host));
  check(file, outside.length === 0, `requests to hosts other than Tencent Cloud API: ${JSON.stringify(outside.map((r) => r.host))}`);
  check(file, !requests.some((r) => r.host.startsWith('apigateway.')), 'an API Gateway request: the entry is the function URL');

  const fn = requests.filter((r) => r.action === 'CreateFunction');
  check(file, fn.length === 1, `${fn.length} CreateFunction requests, want 1`);
  if (fn.length === 1) {
    const p = fn[0].params;
    check(file, fn[0].region === inputs.region, `CreateFunction in region ${fn[0].region}, want ${inputs.region}`);
    check(file, p.FunctionName === inputs.name && p.Namespace === 'default', `function ${p.Namespace}/${p.FunctionName}`);
    check(file, p.Runtime === 'Go1', `Runtime ${p.Runtime}, want Go1`);
    check(file, p.Type === (web ? 'HTTP' : 'Event'), `Type ${p.Type}, want ${web ? 'HTTP' : 'Event'}`);
    if (web) {
      check(file, p.Handler === undefined, `Handler ${p.Handler}: a web function is started by scf_bootstrap`);
    } else {
      check(file, p.Handler === 'main', `Handler ${p.Handler}, want main (the binary of dist/scf-amd64.zip)`);
    }
    if (purge) {
      check(file, p.MemorySize === 128 && p.Timeout === 900, `MemorySize ${p.MemorySize}, Timeout ${p.Timeout}; want 128 and 900 (a pass stops a margin before it)`);
    } else {
      check(file, p.MemorySize === 128 && p.Timeout === 3, `MemorySize ${p.MemorySize}, Timeout ${p.Timeout}; want 128 and 3 (Tencent waits 2 s)`);
    }
    check(file, p.Code && p.Code.CosBucketName === inputs.code.bucket && p.Code.CosObjectName === inputs.code.object, `Code ${JSON.stringify(p.Code)}: not the uploaded zip of src`);
    const vars = Object.fromEntries(((p.Environment || {}).Variables || []).map((v) => [v.Key, v.Value]));
    const known = configNames(repo);
    for (const name of Object.keys(vars)) {
      check(file, known.includes(name), `environment variable ${name} is not one roomhook reads (pkg/config)`);
    }
    for (const name of ['ROOMHOOK_SDKAPPID', 'ROOMHOOK_STORE', 'ROOMHOOK_CALLBACK_TOKEN', 'ROOMHOOK_ARCHIVE_RETENTION']) {
      check(file, vars[name] === process.env[name], `${name} = ${JSON.stringify(vars[name])}, want the deployer's environment's value`);
    }
    for (const [name, value] of Object.entries(vars)) {
      check(file, value !== 'undefined', `${name} = "undefined": a variable the deployer did not export reached the function`);
    }
  }

  const trig = requests.filter((r) => r.action === 'CreateTrigger');
  if (purge) {
    check(file, trig.length === 1, `${trig.length} CreateTrigger requests, want 1 (the timer)`);
    if (trig.length === 1) {
      const p = trig[0].params;
      check(file, p.Type === 'timer', `trigger Type ${p.Type}, want timer: the purge has no function URL`);
      check(file, p.FunctionName === inputs.name && p.Qualifier === '$DEFAULT', `trigger on ${p.FunctionName}/${p.Qualifier}`);
      check(file, p.Enable === 'OPEN', `timer Enable ${p.Enable}, want OPEN: a timer created switched off never runs the purge`);
      // Seven fields, second minute hour day month week year: once a day at a fixed time.
      check(file, /^[0-9]{1,2} [0-9]{1,2} [0-9]{1,2} \* \* \* \*$/.test(p.TriggerDesc || ''), `timer TriggerDesc ${JSON.stringify(p.TriggerDesc)}, want a daily cron expression`);
    }
    return requests.map((r) => r.action);
  }
  check(file, trig.length === 1, `${trig.length} CreateTrigger requests, want 1 (the function URL)`);
  if (trig.length === 1) {
    const p = trig[0].params;
    check(file, p.Type === 'http', `trigger Type ${p.Type}, want http (the function URL)`);
    check(file, p.FunctionName === inputs.name && p.Qualifier === '$DEFAULT' && p.Enable === 'OPEN', `trigger on ${p.FunctionName}/${p.Qualifier}, ${p.Enable}`);
    const desc = JSON.parse(p.TriggerDesc);
    check(file, desc.AuthType === 'NONE', `AuthType ${desc.AuthType}, want NONE (callbacks are signed)`);
    check(file, desc.NetConfig && desc.NetConfig.EnableExtranet === true, `NetConfig ${JSON.stringify(desc.NetConfig)}: the URL must be public (EnableExtranet)`);
  }
  return requests.map((r) => r.action);
}

(async () => {
  for (const arg of process.argv.slice(2)) {
    const job = JSON.parse(fs.readFileSync(arg, 'utf8'));
    try {
      const actions = await deploy(job);
      console.log(`${job.file}: ${actions.join(', ')}`);
    } catch (e) {
      failures.push(`${job.file}: ${e.message}`);
    }
  }
  if (failures.length) {
    console.error(failures.map((f) => 'FAIL ' + f).join('\n'));
    process.exit(1);
  }
  console.log('tencent-component-toolkit: every deploy file passes');
})();
