#!/usr/bin/env node
// A reflection-driven gRPC client, the way grpcurl works: it knows no .proto files. It asks the
// server's reflection service for the services and their descriptors, then calls a method with
// a JSON request and prints the JSON response. Used by ndrelay's integration tests.
//
//   node reflect_call.js ADDR list
//   node reflect_call.js ADDR describe SYMBOL
//   node reflect_call.js ADDR call SERVICE/METHOD '{"json":"request"}'
//   options (before ADDR): --tls CA_FILE   (TLS with that root; server name "localhost")
'use strict';
const grpc = require('@grpc/grpc-js');
const { GrpcReflection } = require('grpc-js-reflection-client');

async function main() {
  const args = process.argv.slice(2);
  let creds = grpc.credentials.createInsecure();
  const opts = {};
  if (args[0] === '--tls') {
    const fs = require('fs');
    creds = grpc.credentials.createSsl(fs.readFileSync(args[1]));
    opts['grpc.ssl_target_name_override'] = 'localhost';
    args.splice(0, 2);
  }
  const [addr, verb, ...rest] = args;
  const reflection = new GrpcReflection(addr, creds, opts);
  if (verb === 'list') {
    const services = await reflection.listServices();
    for (const s of services.sort()) console.log(s);
    return;
  }
  if (verb === 'describe') {
    const descriptor = await reflection.getDescriptorBySymbol(rest[0]);
    const root = descriptor.getProtobufJsRoot();
    const found = root.lookup(rest[0]);
    console.log(JSON.stringify(found.toJSON(), null, 1));
    return;
  }
  if (verb === 'call') {
    const [service, method] = rest[0].split('/');
    const descriptor = await reflection.getDescriptorBySymbol(service);
    const pkg = descriptor.getPackageObject({ keepCase: false, longs: String, enums: String,
                                              defaults: true, oneofs: true });
    let ctor = pkg;
    for (const part of service.split('.')) ctor = ctor[part];
    const client = new ctor(addr, creds, opts);
    const request = rest[1] ? JSON.parse(rest[1]) : {};
    const deadline = new Date(Date.now() + 10000);
    const fn = client[method] || client[method.charAt(0).toLowerCase() + method.slice(1)];
    if (fn.responseStream) {
      const call = fn.call(client, request, { deadline });
      call.on('data', (m) => console.log(JSON.stringify(m)));
      await new Promise((res, rej) => { call.on('end', res); call.on('error', rej); });
    } else {
      const reply = await new Promise((res, rej) =>
        fn.call(client, request, { deadline }, (err, r) => (err ? rej(err) : res(r))));
      console.log(JSON.stringify(reply));
    }
    client.close();
    return;
  }
  throw new Error('unknown verb ' + verb);
}

main().then(() => process.exit(0), (e) => { console.error('error: ' + (e.details || e.message)); process.exit(1); });
