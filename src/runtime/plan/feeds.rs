//! Writing a run's feeds into their buffers.
use super::{Instance, Plan};
use crate::error::Result;
use crate::kernel::words::{as_stored, to_words};
use crate::kernel::Source;
use crate::tensor::Tensor;

impl Plan {
    /// Writes the feeds (none when the plan resumes after a sync point: the first plan of the
    /// chain took them); returns the bytes written.
    pub(super) fn upload_feeds(&self, queue: &wgpu::Queue, inst: &Instance, feeds: &[&Tensor]) -> Result<u64> {
        let mut uploaded = 0u64;
        let upload = if self.resume == 0 { feeds } else { &[] };
        for ((r, id), t) in self.prog.feeds.iter().zip(upload) {
            let buf = &inst.feeds[self.prog.tensors[*id].source_feed()].buf;
            // Feeds held as they are (f32 as f32, i32 as i32 …) go straight into the staging
            // memory (no copy of their own).
            if let Some(bytes) = as_stored(t, self.prog.tensors[*id].storage) {
                if let Some(mut view) = wgpu::BufferSize::new(bytes.len() as u64).and_then(|n| queue.write_buffer_with(buf, 0, n)) {
                    view.copy_from_slice(bytes);
                }
                uploaded += bytes.len() as u64;
                continue;
            }
            let words = to_words(t, &r.to_string(), &self.prog.target)?;
            if !words.is_empty() {
                queue.write_buffer(buf, 0, &words);
            }
            uploaded += words.len() as u64;
        }
        Ok(uploaded)
    }
}

impl crate::kernel::ProgTensor {
    pub(super) fn source_feed(&self) -> usize {
        match self.source {
            Source::Feed(k) => k,
            _ => unreachable!("feed tensors have a feed source"),
        }
    }
}
