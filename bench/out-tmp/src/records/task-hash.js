// The 5-character task hash in canonical names (`nginx-6ud99-0.marathon.mesos.`): the first 25
// bits of SHA-1(task id, UTF-8) in z-base-32, most significant bit first (mesos-dns hashString;
// "test" gives iffe9). z-base-32: http://philzimmermann.com/docs/human-oriented-base-32-encoding.txt
import { hash } from 'node:crypto';
const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';
const ZBASE32_CODES = Array.from(ZBASE32, (c) => c.charCodeAt(0));
// The digest is taken as base64 text rather than a Buffer: for a build over 100,000 tasks the
// string form is several times cheaper than allocating a Buffer per task. Five base64 digits
// carry the first 30 bits, of which the top 25 are used.
const BASE64_VALUE = new Uint8Array(128);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    .split('')
    .forEach((c, i) => (BASE64_VALUE[c.charCodeAt(0)] = i));
export function taskHash(taskId) {
    const b64 = hash('sha1', taskId, 'base64');
    let bits30 = 0;
    for (let i = 0; i < 5; i++)
        bits30 = (bits30 << 6) | BASE64_VALUE[b64.charCodeAt(i)];
    const bits = bits30 >>> 5;
    return String.fromCharCode(ZBASE32_CODES[(bits >>> 20) & 31], ZBASE32_CODES[(bits >>> 15) & 31], ZBASE32_CODES[(bits >>> 10) & 31], ZBASE32_CODES[(bits >>> 5) & 31], ZBASE32_CODES[bits & 31]);
}
