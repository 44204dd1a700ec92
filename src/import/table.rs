//! The sorted-string table of a checkpoint's `.index` file (TensorFlow's copy of the LevelDB
//! table format), read whole and checked as it is read.
//!
//! Layout: data blocks, a metaindex block, an index block, then a 48-byte footer (the two block
//! handles as varints, zero padding, and the 64-bit magic number). Every block is followed by a
//! 1-byte compression type and the masked CRC32C of the block and that byte. A block holds
//! prefix-compressed entries (`shared`, `non_shared`, `value_len` varints, the key's new bytes,
//! the value) and ends with its restart points (u32 offsets of entries that share nothing) and
//! their count. The index block maps the last key of each data block to its handle.
//!
//! Every offset and length is checked against the bytes that back it; a damaged file is an
//! error, never a panic or a huge allocation.

/// The footer's magic number (the table format's, shared with LevelDB).
const MAGIC: u64 = 0xdb47_7524_8b80_fb57;
/// Footer: two block handles padded to 40 bytes, then the magic number.
const FOOTER_LEN: usize = 48;
/// After each block: compression type (1 byte) and masked CRC32C (4 bytes).
const TRAILER_LEN: usize = 5;

/// CRC32C as stored by TensorFlow: rotated and offset so that a CRC of data containing CRCs
/// stays well distributed.
#[cfg(test)]
pub fn mask_crc(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// The inverse of [`mask_crc`].
pub fn unmask_crc(masked: u32) -> u32 {
    masked.wrapping_sub(0xa282_ead8).rotate_left(15)
}

/// Reads an unsigned LEB128 varint of at most `max_bytes` bytes at `*pos`.
pub fn varint(buf: &[u8], pos: &mut usize, max_bytes: usize) -> Option<u64> {
    let mut v: u64 = 0;
    for i in 0..max_bytes {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// A block's place in the file.
#[derive(Clone, Copy, Debug)]
struct Handle {
    offset: u64,
    size: u64,
}

impl Handle {
    fn decode(buf: &[u8], pos: &mut usize) -> Option<Handle> {
        Some(Handle { offset: varint(buf, pos, 10)?, size: varint(buf, pos, 10)? })
    }
}

/// Reads every entry of a table, in key order. Errors are plain messages; the caller names the
/// file.
pub fn read_table(file: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
    if file.len() < FOOTER_LEN {
        return Err(format!("{} bytes is too short for a table (the footer alone is {FOOTER_LEN})", file.len()));
    }
    let footer = &file[file.len() - FOOTER_LEN..];
    let magic = u64::from(le_u32(&footer[40..44])) | (u64::from(le_u32(&footer[44..48])) << 32);
    if magic != MAGIC {
        return Err(format!("bad magic number {magic:#018x} (not a table, or truncated)"));
    }
    let mut pos = 0;
    let _metaindex = Handle::decode(footer, &mut pos).ok_or("bad metaindex block handle in the footer")?;
    let index = Handle::decode(footer, &mut pos).ok_or("bad index block handle in the footer")?;
    if pos > 40 {
        return Err("the footer's block handles overrun its padding".into());
    }
    let index_block = block(file, index, "index")?;
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (key, value) in block_entries(index_block).map_err(|m| format!("index block: {m}"))? {
        let mut p = 0;
        let h = Handle::decode(&value, &mut p)
            .filter(|_| p == value.len())
            .ok_or_else(|| format!("index block: bad block handle for key {:?}", String::from_utf8_lossy(&key)))?;
        let data = block(file, h, "data")?;
        let kv = block_entries(data).map_err(|m| format!("data block at offset {}: {m}", h.offset))?;
        for (k, v) in kv {
            if k > key {
                return Err(format!(
                    "data block at offset {}: key {:?} is past the index key {:?}",
                    h.offset,
                    String::from_utf8_lossy(&k),
                    String::from_utf8_lossy(&key)
                ));
            }
            if let Some((last, _)) = entries.last() {
                if *last >= k {
                    return Err(format!("keys out of order at {:?}", String::from_utf8_lossy(&k)));
                }
            }
            entries.push((k, v));
        }
    }
    Ok(entries)
}

/// The contents of one block, its checksum checked.
fn block<'a>(file: &'a [u8], h: Handle, what: &str) -> Result<&'a [u8], String> {
    let start = usize::try_from(h.offset).ok();
    let size = usize::try_from(h.size).ok();
    let end = start.zip(size).and_then(|(s, n)| s.checked_add(n)?.checked_add(TRAILER_LEN));
    let (Some(start), Some(size), Some(end)) = (start, size, end) else {
        return Err(format!("{what} block handle (offset {}, size {}) is out of range", h.offset, h.size));
    };
    if end > file.len() {
        return Err(format!(
            "{what} block at offset {start} ({size} bytes) runs past the end of the file ({} bytes): truncated?",
            file.len()
        ));
    }
    let contents = &file[start..start + size];
    let kind = file[start + size];
    let stored = unmask_crc(le_u32(&file[start + size + 1..end]));
    let actual = crc32c::crc32c(&file[start..start + size + 1]);
    if stored != actual {
        return Err(format!(
            "{what} block at offset {start}: checksum mismatch (stored {stored:#010x}, computed {actual:#010x}): the file is damaged"
        ));
    }
    match kind {
        0 => Ok(contents),
        1 => Err(format!("{what} block at offset {start} is snappy-compressed, which wgtf does not read")),
        k => Err(format!("{what} block at offset {start} has unknown compression type {k}")),
    }
}

/// The entries of a block: prefix-compressed keys rebuilt, restart points checked.
fn block_entries(b: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
    if b.len() < 4 {
        return Err("block shorter than its restart count".into());
    }
    let num_restarts = le_u32(&b[b.len() - 4..]) as usize;
    let max_restarts = (b.len() - 4) / 4;
    if num_restarts > max_restarts {
        return Err(format!("{num_restarts} restart points do not fit in a block of {} bytes", b.len()));
    }
    let restarts_at = b.len() - 4 - 4 * num_restarts;
    let restarts: Vec<usize> = (0..num_restarts).map(|i| le_u32(&b[restarts_at + 4 * i..]) as usize).collect();
    let data = &b[..restarts_at];
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    let mut pos = 0;
    let mut next_restart = 0;
    while pos < data.len() {
        let at = pos;
        let bad = |what: &str| format!("entry at offset {at}: {what}");
        let shared = varint(data, &mut pos, 5).ok_or_else(|| bad("bad shared-length varint"))? as usize;
        let non_shared = varint(data, &mut pos, 5).ok_or_else(|| bad("bad key-length varint"))? as usize;
        let value_len = varint(data, &mut pos, 5).ok_or_else(|| bad("bad value-length varint"))? as usize;
        if shared > key.len() {
            return Err(bad(&format!("shares {shared} bytes with a previous key of {}", key.len())));
        }
        let key_end = pos.checked_add(non_shared).filter(|&e| e <= data.len()).ok_or_else(|| bad("key runs past the block"))?;
        let value_end =
            key_end.checked_add(value_len).filter(|&e| e <= data.len()).ok_or_else(|| bad("value runs past the block"))?;
        // A restart point is the offset of an entry that shares no bytes with the one before.
        while next_restart < restarts.len() && restarts[next_restart] < at {
            return Err(format!("restart point {} (offset {}) is not at an entry", next_restart, restarts[next_restart]));
        }
        if next_restart < restarts.len() && restarts[next_restart] == at {
            if shared != 0 {
                return Err(bad("a restart point shares bytes with the previous key"));
            }
            next_restart += 1;
        } else if out.is_empty() {
            return Err("the first entry is not a restart point".into());
        }
        key.truncate(shared);
        key.extend_from_slice(&data[pos..key_end]);
        if let Some((last, _)) = out.last() {
            if *last >= key {
                return Err(bad("keys are not in increasing order"));
            }
        }
        out.push((key.clone(), data[key_end..value_end].to_vec()));
        pos = value_end;
    }
    // An empty block still has one restart point, at offset 0.
    if next_restart != restarts.len() && !data.is_empty() {
        return Err(format!("restart point {} (offset {}) is not at an entry", next_restart, restarts[next_restart]));
    }
    Ok(out)
}

/// Writes a table (for tests: the inverse of [`read_table`], with a restart point every
/// `restart_interval` entries and one data block per `block_entries` entries).
#[cfg(test)]
pub fn write_table(entries: &[(&[u8], &[u8])], restart_interval: usize, per_block: usize) -> Vec<u8> {
    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn build_block(entries: &[(&[u8], &[u8])], restart_interval: usize) -> Vec<u8> {
        let mut b = Vec::new();
        let mut restarts = Vec::new();
        let mut last: &[u8] = &[];
        for (i, (k, v)) in entries.iter().enumerate() {
            let shared = if i % restart_interval == 0 {
                restarts.push(b.len() as u32);
                0
            } else {
                last.iter().zip(k.iter()).take_while(|(a, b)| a == b).count()
            };
            put_varint(&mut b, shared as u64);
            put_varint(&mut b, (k.len() - shared) as u64);
            put_varint(&mut b, v.len() as u64);
            b.extend_from_slice(&k[shared..]);
            b.extend_from_slice(v);
            last = k;
        }
        if restarts.is_empty() {
            restarts.push(0);
        }
        for r in &restarts {
            b.extend_from_slice(&r.to_le_bytes());
        }
        b.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
        b
    }
    fn emit(file: &mut Vec<u8>, contents: &[u8]) -> (u64, u64) {
        let off = file.len() as u64;
        file.extend_from_slice(contents);
        file.push(0);
        let crc = mask_crc(crc32c::crc32c(&file[off as usize..]));
        file.extend_from_slice(&crc.to_le_bytes());
        (off, contents.len() as u64)
    }
    let mut file = Vec::new();
    let mut index: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for chunk in entries.chunks(per_block.max(1)) {
        let (off, size) = emit(&mut file, &build_block(chunk, restart_interval));
        let mut h = Vec::new();
        put_varint(&mut h, off);
        put_varint(&mut h, size);
        index.push((chunk.last().unwrap().0.to_vec(), h));
    }
    let meta = emit(&mut file, &build_block(&[], 1));
    let idx: Vec<(&[u8], &[u8])> = index.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
    let index_h = emit(&mut file, &build_block(&idx, 1));
    let mut footer = Vec::new();
    for (o, s) in [meta, index_h] {
        put_varint(&mut footer, o);
        put_varint(&mut footer, s);
    }
    footer.resize(40, 0);
    footer.extend_from_slice(&MAGIC.to_le_bytes());
    file.extend_from_slice(&footer);
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..40).map(|i| (format!("layer_{i:03}/kernel").into_bytes(), vec![i as u8; i % 7])).collect()
    }

    #[test]
    fn round_trip_with_restarts_and_several_blocks() {
        let s = sample();
        let refs: Vec<(&[u8], &[u8])> = s.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
        for (ri, pb) in [(1, 100), (16, 100), (3, 7), (5, 1)] {
            let t = write_table(&refs, ri, pb);
            assert_eq!(read_table(&t).unwrap(), s, "restart interval {ri}, {pb} per block");
        }
        let empty = write_table(&[], 16, 10);
        assert!(read_table(&empty).unwrap().is_empty());
    }

    #[test]
    fn crc_masking_inverts() {
        for c in [0u32, 1, 0xdeadbeef, u32::MAX] {
            assert_eq!(unmask_crc(mask_crc(c)), c);
        }
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
    }

    #[test]
    fn every_flipped_byte_and_truncation_is_an_error() {
        let s = sample();
        let refs: Vec<(&[u8], &[u8])> = s.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
        let t = write_table(&refs, 4, 9);
        for i in 0..t.len() {
            for bit in [0x01u8, 0x80] {
                let mut d = t.clone();
                d[i] ^= bit;
                // Only bytes no checksum covers (the footer's padding, the unused metaindex
                // handle) may change without an error, and then nothing read may change.
                if let Ok(e) = read_table(&d) {
                    assert_eq!(e, s, "byte {i} bit {bit:#x} changed the entries silently");
                }
            }
        }
        for n in 0..t.len() {
            assert!(read_table(&t[..n]).is_err(), "truncated to {n} bytes");
        }
    }
}
