// Photos before upload: downscaled in the browser to at most 2048 px on the long side (a phone's 12 MP photo of
// 4-6 MB becomes ~0.4-0.8 MB on the citizen's data plan); re-encoding also drops every metadata field. The GPS
// position is read first, only to be offered as the report's location with the citizen's consent.
export const MAX_SIDE = 2048;
export const MAX_VIDEO_BYTES = 100 * 1024 * 1024;
const QUALITY = 0.82;

export async function prepare(file) {
  if (file.type.startsWith('video/')) {
    if (file.size > MAX_VIDEO_BYTES) throw Object.assign(new Error('too_big'), { code: 'too_big' });
    return { blob: file, name: file.name || 'video.mp4', type: file.type, kind: 'video', gps: null };
  }
  const gps = file.type === 'image/jpeg' || /\.jpe?g$/i.test(file.name) ? readGps(await file.slice(0, 256 * 1024).arrayBuffer()) : null;
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' }).catch(() => null);
  if (!bitmap) return { blob: file, name: file.name, type: file.type, kind: 'photo', gps };
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
  bitmap.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  const name = (file.name || 'photo').replace(/\.[^.]+$/, '') + '.jpg';
  return { blob, name, type: 'image/jpeg', kind: 'photo', width, height, gps };
}

/** The GPS position in a JPEG's EXIF block, or null. */
export function readGps(buffer) {
  const view = new DataView(buffer);
  if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
  let offset = 2;
  while (offset + 4 < view.byteLength) {
    const marker = view.getUint16(offset);
    const size = view.getUint16(offset + 2);
    if (marker === 0xffe1 && view.getUint32(offset + 4) === 0x45786966) return gpsFromTiff(view, offset + 10);
    if ((marker & 0xff00) !== 0xff00) return null;
    offset += 2 + size;
  }
  return null;
}

function gpsFromTiff(view, tiff) {
  try {
    const little = view.getUint16(tiff) === 0x4949;
    const u16 = (o) => view.getUint16(o, little);
    const u32 = (o) => view.getUint32(o, little);
    const entries = (dir) => Array.from({ length: u16(dir) }, (_, i) => dir + 2 + i * 12);
    const ifd0 = tiff + u32(tiff + 4);
    const gpsEntry = entries(ifd0).find((e) => u16(e) === 0x8825);
    if (!gpsEntry) return null;
    const gps = tiff + u32(gpsEntry + 8);
    const tags = Object.fromEntries(entries(gps).map((e) => [u16(e), e]));
    const rational = (o) => u32(o) / (u32(o + 4) || 1);
    const coord = (tag) => {
      const at = tiff + u32(tags[tag] + 8);
      return rational(at) + rational(at + 8) / 60 + rational(at + 16) / 3600;
    };
    const ref = (tag) => String.fromCharCode(view.getUint8(tags[tag] + 8));
    if (!tags[2] || !tags[4]) return null;
    const lat = coord(2) * (ref(1) === 'S' ? -1 : 1);
    const lon = coord(4) * (ref(3) === 'W' ? -1 : 1);
    return Number.isFinite(lat) && Number.isFinite(lon) && (lat || lon) ? { lat, lon } : null;
  } catch {
    return null;
  }
}

/** Metres between two points (haversine). */
export function distance(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const x = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 6371000 * 2 * Math.asin(Math.sqrt(x));
}

export function kilobytes(bytes) {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1048576).toFixed(1)} MB`;
}
