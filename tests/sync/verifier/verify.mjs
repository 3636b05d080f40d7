// An independent verifier for the credentials Reviewer signs: the Digital Credentials
// Consortium's libraries, offline (no remote contexts; did:key resolved locally).
//
//   node verify.mjs CREDENTIAL.json... [--did-document DID.json]...
//
// Prints one JSON line per credential, {"file", "verified", "errors"}, and exits 0 only
// if every credential verified. A --did-document (e.g. a did:web issuer's did.json) is
// served from memory, so a did:web issuer is checked without the network too.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalcredentials/vc';
import {DataIntegrityProof} from '@digitalcredentials/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import {securityLoader} from '@digitalcredentials/security-document-loader';

const files = [];
const didDocuments = [];
const args = process.argv.slice(2);
for(let i = 0; i < args.length; i++) {
  if(args[i] === '--did-document') {
    didDocuments.push(JSON.parse(readFileSync(args[++i], 'utf8')));
  } else {
    files.push(args[i]);
  }
}

const loader = securityLoader({fetchRemoteContexts: false});
for(const doc of didDocuments) {
  loader.addStatic(doc.id, doc);
  for(const method of doc.verificationMethod || []) {
    loader.addStatic(method.id, {'@context': doc['@context'], ...method});
  }
}
const documentLoader = loader.build();
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});

function describe(error) {
  if(!error) {
    return [];
  }
  const list = error.errors || (Array.isArray(error) ? error : [error]);
  return list.map(e => (e && (e.message || e.name)) || String(e));
}

let allVerified = files.length > 0;
for(const file of files) {
  let verified = false;
  let errors = [];
  try {
    const credential = JSON.parse(readFileSync(file, 'utf8'));
    const result = await vc.verifyCredential({credential, suite, documentLoader});
    verified = result.verified === true;
    errors = describe(result.error);
    for(const r of result.results || []) {
      errors.push(...describe(r.error));
    }
  } catch(e) {
    errors = describe(e);
  }
  allVerified = allVerified && verified;
  console.log(JSON.stringify({file, verified, errors: [...new Set(errors)]}));
}
process.exit(allVerified ? 0 : 1);
