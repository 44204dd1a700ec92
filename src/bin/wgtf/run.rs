//! `wgtf run`: loads the model groups, reads their feeds (`.npy` files or images), runs the
//! groups concurrently and writes or prints the fetches.
use wgtf::{LoadOptions, Model, Tensor};

use crate::args::{split_kv, Group, ImageArgs};
use crate::context;

pub(crate) fn run(adapter: Option<usize>, groups: Vec<Group>, opts: LoadOptions, image: &ImageArgs) -> wgtf::Result<()> {
    let (img_opts, top) = image.options()?;
    let ctx = context(adapter)?;
    // Load everything first, then run the groups concurrently.
    let mut loaded: Vec<(Model, Vec<(String, Tensor)>, Vec<(String, Option<String>)>)> = Vec::new();
    for g in &groups {
        let model = ctx.load_with(&g.model, &opts)?;
        let mut feeds = Vec::new();
        for i in &g.inputs {
            let (name, path) = split_kv(i);
            let path = path.ok_or_else(|| wgtf::Error::Other(format!("-i {i}: expected NAME=FILE (.npy, .png or .jpg)")))?;
            feeds.push((name.to_string(), wgtf::image::read_feed(&model, name, path, &img_opts)?));
        }
        let fetches = g.outputs.iter().map(|o| {
            let (n, p) = split_kv(o);
            (n.to_string(), p.map(|s| s.to_string()))
        });
        let fetches: Vec<_> = fetches.collect();
        if fetches.is_empty() {
            let outs = model.outputs().join(", ");
            return Err(wgtf::Error::Other(format!("{}: no outputs requested (-o NAME=OUT.npy); likely outputs: {outs}", g.model.display())));
        }
        loaded.push((model, feeds, fetches));
    }
    let top = &top;
    let results: Vec<wgtf::Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = loaded
            .iter()
            .map(|(model, feeds, fetches)| {
                s.spawn(move || -> wgtf::Result<()> {
                    let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
                    let names: Vec<&str> = fetches.iter().map(|(n, _)| n.as_str()).collect();
                    let outs = model.run(&f, &names)?;
                    for ((name, path), t) in fetches.iter().zip(outs) {
                        match path {
                            Some(p) => t.write_npy(p)?,
                            None => {
                                print_tensor(name, &t);
                                if let Some((k, labels)) = top {
                                    for line in wgtf::image::format_top_k(&t, *k, labels.as_deref())? {
                                        println!("{line}");
                                    }
                                }
                            }
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(wgtf::Error::Other("a run panicked".into())))).collect()
    });
    for (g, r) in groups.iter().zip(results) {
        r.map_err(|e| wgtf::Error::Other(format!("{}: {e}", g.model.display())))?;
    }
    Ok(())
}

fn print_tensor(name: &str, t: &Tensor) {
    let v = t.to_f64_vec().unwrap_or_default();
    let shown: Vec<String> = v.iter().take(16).map(|x| format!("{x:.6}")).collect();
    let more = if v.len() > 16 { format!(", … ({} values)", v.len()) } else { String::new() };
    println!("{name}: {} {:?} [{}{more}]", t.dtype(), t.shape(), shown.join(", "));
}
