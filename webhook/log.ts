// The webhook logs with the JSON line logger every long-running face shares (core/log.ts).
export * from '../core/log.js'
