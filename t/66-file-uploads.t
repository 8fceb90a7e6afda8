#!/usr/bin/perl

# File uploads (POST /openai/files, /openai/v1/files) and upload parts
# (/openai/uploads/{id}/parts, v1 form): the multipart envelope is read
# strictly, batch files are judged line by line whenever azoai is on
# (GA deployments, catalog, azoai_unknown_deployment,
# azoai_allow_deployments, batch urls as routes; the message names the
# line), allowed uploads reach the upstream byte for byte, over HTTP/1.1
# and HTTP/2, from memory and from temp files; hostile envelopes get a
# clear error and NGINX keeps serving.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog(<<'EOF');
{
  "models": {
    "gpt-4o": { "2024-11-20": "ga" },
    "gpt-5-chat": { "*": "preview" },
    "text-embedding-3-small": { "1": "ga" }
  },
  "deployments": {
    "chat-prod": { "model": "gpt-4o", "version": "2024-11-20" },
    "team-a-chat": { "model": "gpt-4o", "version": "2024-11-20" },
    "chat-preview": { "model": "gpt-5-chat", "version": "2025-08-07" },
    "emb": { "model": "text-embedding-3-small", "version": "1" }
  }
}
EOF

my @ON = ('azoai on;', 'azoai_catalog %%CATALOG%%;');
# small body buffers: uploads over 1k come from temp files
my @SPOOLED = ('client_body_buffer_size 1k;', 'client_max_body_size 20m;');
$t->write_conf("    log_format uploads '\$azoai_pii_opaque \$azoai_reason "
               . "\$azoai_pii_count';\n\n"
    . server_block(h2 => 1, directives => [@ON, @SPOOLED])
    . server_block(port => 'pii', h2 => 1,
                   directives => [@ON, 'azoai_pii on;', @SPOOLED])
    . server_block(port => 'pii_block',
                   directives => [@ON, 'azoai_pii on;',
                                  'azoai_pii_action email block;'])
    . server_block(port => 'pii_pass',
                   directives => [@ON, 'azoai_pii on;',
                                  'azoai_pii_opaque pass;',
                                  'access_log %%DIR%%/uploads.log uploads;'])
    . server_block(port => 'pii_report',
                   directives => [@ON, 'azoai_mode report;',
                                  'azoai_pii on;'])
    . server_block(port => 'team',
                   directives => [@ON,
                                  'azoai_allow_deployments team-a-* emb;'])
    . server_block(port => 'open',
                   directives => [@ON, 'azoai_unknown_deployment allow;'])
    . server_block(port => 'report',
                   directives => [@ON, 'azoai_mode report;'])
    . server_block(port => 'pass',
                   directives => [@ON, 'azoai_invalid_body pass;']));
$t->start_upstream->start;

my $B = '----azoaiBoundary7MA4YWxkTrZu0gW';
my $V = '?api-version=2024-10-21';

# a multipart body: [name, content, filename?, content-type?] ...
sub form {
    my (@parts) = @_;
    my $s = '';
    for my $p (@parts) {
        my ($name, $content, $file, $type) = @$p;
        $s .= "--$B\r\nContent-Disposition: form-data; name=\"$name\"";
        $s .= "; filename=\"$file\"" if defined $file;
        $s .= "\r\n";
        $s .= "Content-Type: $type\r\n" if defined $type;
        $s .= "\r\n$content\r\n";
    }
    return $s . "--$B--\r\n";
}

sub upload_body {
    my ($purpose, $content, $file) = @_;
    return form(['purpose', $purpose],
                ['file', $content, $file // 'data.jsonl',
                 'application/octet-stream']);
}

sub req {
    my ($path, $body, %o) = @_;
    my $ct = $o{type} // "multipart/form-data; boundary=$B";
    my $port = $o{port} // ($o{via} ? 'h2' : 'main');
    return { method => 'POST', path => $path,
             headers => [['Content-Type', $ct], @{$o{headers} || []}],
             body => $body, port => $t->port($port),
             ($o{via} ? (via => $o{via}) : ()) };
}

sub files {
    my ($body, %o) = @_;
    return req($o{v1} ? '/openai/v1/files' : "/openai/files$V", $body, %o);
}

sub batch_line {
    my ($n, $model, %o) = @_;
    my $url = $o{url} // '/chat/completions';
    my $body = $o{body}
        // qq({"model":"$model","messages":[{"role":"user",)
           . qq("content":"question $n"}]});
    return qq({"custom_id":"task-$n","method":"POST","url":"$url",)
        . qq("body":$body});
}

sub batch {
    return join("\n", @_) . "\n";
}

my $GOOD = batch(batch_line(1, 'chat-prod'), batch_line(2, 'chat-prod'),
                 batch_line(3, 'emb', url => '/v1/embeddings',
                            body => '{"model":"emb","input":"x"}'));
my $FT = (qq({"messages":[{"role":"user","content":"mail jane\@example.com"},)
          . qq({"role":"assistant","content":"ok"}]}\n)) x 3;

# --- allowed uploads reach the upstream byte for byte ----------------------

for my $via (undef, 'h2') {
    my $how = $via ? 'HTTP/2' : 'HTTP/1.1';

    $t->expect_allowed(files(upload_body('batch', $GOOD), via => $via),
                       "$how: a batch file of GA deployments passes as sent");
    $t->expect_allowed(files(upload_body('batch', $GOOD), v1 => 1,
                             via => $via),
                       "$how: /openai/v1/files, batch");
    $t->expect_allowed(files(upload_body('fine-tune', $FT), via => $via),
                       "$how: fine-tune, azoai_pii off: passed as sent");
    $t->expect_allowed(files(upload_body('assistants', "%PDF-1.4\0\xff\r\n",
                                         'doc.pdf'), v1 => 1, via => $via),
                       "$how: assistants file, binary content");
    $t->expect_allowed(req('/openai/v1/uploads/upload_1/parts',
                           form(['data', "{\"a\":1}\n{\"b\""]), via => $via),
                       "$how: an upload part");
    $t->expect_allowed(req("/openai/uploads/upload_1/parts$V",
                           form(['data', "x" x 3000, 'blob']), via => $via),
                       "$how: a classic upload part, from a temp file");
}

$t->expect_allowed({ method => 'GET', path => "/openai/files$V" },
                   'listing files needs no body');

# purpose ignoring case and blanks is still a batch: fail closed
$t->expect_denied(files(form(['purpose', " Batch\r\n"],
                             ['file', batch(batch_line(1, 'chat-preview')),
                              'b.jsonl'])),
                  403, 'PreviewModelBlocked', 'purpose " Batch" is judged');

# --- batch lines are judged ------------------------------------------------

sub denied_line {
    my ($content, $status, $code, $line, $name, %o) = @_;
    my $req = files(upload_body('batch', $content), %o);
    $t->expect_denied($req, $status, $code, $name);
    my $r = $t->request($req);
    like(error_message($r), qr/^line $line: /, "$name: the message names line "
         . $line);
    return $r;
}

for my $via (undef, 'h2') {
    my $how = $via ? 'HTTP/2' : 'HTTP/1.1';
    my $r = denied_line(batch(batch_line(1, 'chat-prod'),
                              batch_line(2, 'chat-preview')),
                        403, 'PreviewModelBlocked', 2,
                        "$how: a preview deployment on line 2", via => $via);
    like(error_message($r), qr/chat-preview/,
         'the message names the deployment');
    like(error_message($r), qr/body model/, 'and where the line names it');
}

denied_line(batch(batch_line(1, 'nobody-knows')), 403, 'UnknownDeployment',
            1, 'an unknown deployment');
$t->expect_allowed(files(upload_body('batch',
                                     batch(batch_line(1, 'nobody-knows'))),
                         port => 'open'),
                   'azoai_unknown_deployment allow applies to batch lines');

denied_line(batch(batch_line(1, 'chat-prod'), batch_line(2, 'chat-prod'),
                  batch_line(3, 'chat-prod', url => '/v1/audio/speech')),
            403, 'PreviewFeatureBlocked', 3, 'a preview route as url');
denied_line(batch(batch_line(1, 'chat-prod', url =>
                             '/chat/completions?api-version=2025-04-01-'
                             . 'preview')),
            403, 'PreviewApiVersionBlocked', 1, 'a preview api-version');
denied_line(batch(batch_line(1, 'chat-prod', url => '/files')),
            400, 'InvalidBody', 1, 'a url that is not a batch endpoint');
denied_line(batch(batch_line(1, 'chat-prod', url => '/chat/%63ompletions')),
            400, 'AmbiguousRequest', 1, 'a percent-encoded url');

# the line numbers count every line, blank ones too
denied_line(batch(batch_line(1, 'chat-prod'), '', batch_line(3, 'chat-prod'),
                  '{"custom_id":"x"'),
            400, 'InvalidBody', 4, 'a line that is not JSON');
denied_line(batch(batch_line(1, 'chat-prod', body => '{"messages":[]}')),
            400, 'AmbiguousRequest', 1, 'a body without model');
denied_line(batch(batch_line(1, 'chat-prod',
                             body => '{"model":"chat-prod",'
                                     . '"model":"chat-preview"}')),
            400, 'AmbiguousRequest', 1, 'model given twice');
denied_line(batch(batch_line(1, 'chat-prod', body => '{"model":7}')),
            400, 'AmbiguousRequest', 1, 'model not a string');
denied_line(batch('{"custom_id":"1","url":"/chat/completions"}'),
            400, 'AmbiguousRequest', 1, 'a line without body');
denied_line(batch('["not","an","object"]'), 400, 'InvalidBody', 1,
            'a line that is not an object');

$t->expect_denied(files(upload_body('batch', "\n\n")), 400, 'InvalidBody',
                  'a batch file without lines');

# azoai_allow_deployments
$t->expect_allowed(files(upload_body('batch',
                                     batch(batch_line(1, 'team-a-chat'),
                                           batch_line(2, 'emb', url =>
                                                      '/embeddings'))),
                         port => 'team'),
                   'azoai_allow_deployments: allowed lines');
denied_line(batch(batch_line(1, 'team-a-chat'), batch_line(2, 'chat-prod')),
            403, 'DeploymentNotAllowed', 2, 'azoai_allow_deployments',
            port => 'team');

# upload parts: the complete lines that are batch lines are judged
{
    my $part = substr(batch_line(0, 'chat-preview'), 40) . "\n"
        . batch(batch_line(1, 'chat-prod'), batch_line(2, 'emb', url =>
                '/embeddings', body => '{"model":"emb","input":"x"}'))
        . substr(batch_line(3, 'chat-preview'), 0, 60);
    for my $via (undef, 'h2') {
        my $how = $via ? 'HTTP/2' : 'HTTP/1.1';
        $t->expect_allowed(req('/openai/v1/uploads/upload_1/parts',
                               form(['data', $part, 'blob']), via => $via),
                           "$how: a part of a batch file, GA lines, pieces "
                           . 'of lines at its ends');
        my $bad = $part;
        $bad =~ s/"model":"emb"/"model":"chat-preview"/;
        my $req = req("/openai/uploads/upload_1/parts$V",
                      form(['data', $bad, 'blob']), via => $via);
        $t->expect_denied($req, 403, 'PreviewModelBlocked',
                          "$how: a preview deployment in a part's line");
        like(error_message($t->request($req)), qr/^upload part line 3: /,
             "$how: the message names the line of the part");
    }
    $t->expect_allowed(req('/openai/v1/uploads/upload_1/parts',
                           form(['data', $FT, 'blob'])),
                       'a part of a fine-tuning file is not a batch');
    $t->expect_denied(req('/openai/v1/uploads/upload_1/parts',
                          form(['data', '{"url":"/embeddings","body":{},'
                                . '"body":{"model":"emb"}}' . "\n", 'b'])),
                      400, 'AmbiguousRequest', 'a batch line in a part '
                      . 'with body twice');
}

# report mode: forwarded as sent, decision report-deny
$t->expect_allowed(files(upload_body('batch',
                                     batch(batch_line(1, 'chat-preview'))),
                         port => 'report'),
                   'report mode: forwarded', decision => 'report-deny');

# a batch file large enough for a temp file, the bad line near its end
{
    my @lines = map { batch_line($_, 'chat-prod') } 1 .. 3000;
    my $good = batch(@lines);
    $t->expect_allowed(files(upload_body('batch', $good)),
                       'a ' . length($good) . '-byte batch file (temp '
                       . 'file) passes byte for byte');
    $t->expect_allowed(files(upload_body('batch', $good), via => 'h2'),
                       'the same over HTTP/2');
    $lines[2998] = batch_line(2999, 'chat-preview');
    denied_line(batch(@lines), 403, 'PreviewModelBlocked', 2999,
                'line 2999 of a spooled batch file');
}

# --- the envelope ------------------------------------------------------------

my $ONE = batch(batch_line(1, 'chat-prod'));

$t->expect_denied(files(upload_body('batch', $ONE),
                        type => 'application/json'),
                  400, 'InvalidBody', 'an upload that is not multipart');
$t->expect_denied(files(upload_body('batch', $ONE),
                        type => 'multipart/form-data'),
                  400, 'InvalidBody', 'multipart without a boundary');
$t->expect_denied(files(upload_body('batch', $ONE),
                        type => "multipart/form-data; boundary=$B; "
                                . "boundary=$B"),
                  400, 'InvalidBody', 'the boundary given twice');
$t->expect_denied(files(form(['purpose', 'batch'], ['file', $ONE, 'a'],
                             ['file', $ONE, 'b'])),
                  400, 'AmbiguousRequest', 'two file fields');
$t->expect_denied(files(form(['purpose', 'batch'], ['purpose', 'x'],
                             ['file', $ONE, 'a'])),
                  400, 'AmbiguousRequest', 'two purpose fields');
$t->expect_denied(files(form(['file', $ONE, 'a'])), 400, 'InvalidBody',
                  'no purpose');
$t->expect_denied(files(form(['purpose', 'batch'])), 400, 'InvalidBody',
                  'no file');
$t->expect_denied(req('/openai/v1/uploads/u/parts', form(['file', 'x'])),
                  400, 'InvalidBody', 'an upload part without data');
$t->expect_denied(files(upload_body('batch', $ONE),
                        headers => [['Content-Encoding', 'gzip']]),
                  400, 'InvalidBody', 'a compressed upload');

# hostile envelopes
my %hostile = (
    'a boundary that never closes' =>
        "--$B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
        . "batch\r\n--$B\r\nContent-Disposition: form-data; name=\"file\""
        . "\r\n\r\n$ONE",
    '10,000 parts' => ("--$B\r\nContent-Disposition: form-data; "
                       . "name=\"x\"\r\n\r\nv\r\n") x 10000 . "--$B--\r\n",
    'a 60 KB part header' =>
        "--$B\r\nContent-Disposition: form-data; name=\"file\"\r\n"
        . 'X-Pad: ' . ('a' x 61440) . "\r\n\r\n$ONE\r\n--$B--\r\n",
    'CR without LF in part headers' =>
        "--$B\r\nContent-Disposition: form-data; name=\"purpose\"\r"
        . "X: y\r\n\r\nbatch\r\n--$B--\r\n",
    'a NUL byte in part headers' =>
        "--$B\r\nContent-Disposition: form-data; name=\"purp\0ose\"\r\n"
        . "\r\nbatch\r\n--$B--\r\n",
    'the boundary inside content' =>
        "--$B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
        . "batch\r\n--${B}x\r\n--$B--\r\n",
    'the boundary after a bare LF' =>
        "--$B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
        . "batch\n--$B--\r\n",
    'a part after the closing delimiter' =>
        upload_body('batch', $ONE) . "--$B\r\nContent-Disposition: "
        . "form-data; name=\"file\"\r\n\r\n$ONE\r\n--$B--\r\n",
    'nested multipart' =>
        "--$B\r\nContent-Disposition: form-data; name=\"file\"\r\n"
        . "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q--\r\n"
        . "--$B--\r\n",
    'base64 transfer encoding' =>
        "--$B\r\nContent-Disposition: form-data; name=\"file\"\r\n"
        . "Content-Transfer-Encoding: base64\r\n\r\neyJ9\r\n--$B--\r\n",
);

for my $name (sort keys %hostile) {
    for my $via (undef, 'h2') {
        my $req = files($hostile{$name}, via => $via);
        $t->expect_denied($req, 400, 'InvalidBody',
                          ($via ? 'HTTP/2: ' : '') . $name);
    }
    like(error_message($t->request(files($hostile{$name}))), qr/^multipart /,
         "$name: the message says what is wrong with the envelope");
}

$t->expect_allowed(files(upload_body('batch', $GOOD)),
                   'NGINX keeps serving after hostile uploads');

# azoai_invalid_body pass: an unreadable envelope goes on as sent
$t->expect_allowed(files($hostile{'a boundary that never closes'},
                         port => 'pass'),
                   'azoai_invalid_body pass forwards a broken envelope');
$t->expect_denied(files(upload_body('batch',
                                    batch(batch_line(1, 'chat-preview'))),
                        port => 'pass'),
                  403, 'PreviewModelBlocked',
                  'azoai_invalid_body pass: batch lines are still judged');

# --- azoai_pii on: JSONL files masked line by line --------------------------

(my $FT_MASKED = $FT) =~ s/jane\@example\.com/[EMAIL]/g;

for my $via (undef, 'h2') {
    my $how = $via ? 'HTTP/2' : 'HTTP/1.1';
    my $port = $via ? 'pii_h2' : 'pii';

    for my $purpose ('fine-tune', 'evals') {
        my ($up, $r) = $t->expect_allowed(
            files(upload_body($purpose, $FT), port => $port, via => $via),
            "$how: $purpose file masked, envelope byte for byte",
            body => upload_body($purpose, $FT_MASKED));
        is($r->{headers}{'x-azoai-pii-masked'}, 3,
           "$how: $purpose: X-AzOAI-PII-Masked counts every line");
    }

    $t->expect_allowed(files(upload_body('assistants', $FT, 'train.JSONL'),
                             port => $port, via => $via, v1 => 1),
                       "$how: a *.jsonl file name is masked too",
                       body => upload_body('assistants', $FT_MASKED,
                                           'train.JSONL'));

    my $b = batch(batch_line(1, 'chat-prod'),
                  batch_line(2, 'chat-prod', body =>
                             '{"model":"chat-prod","messages":[{"role":'
                             . '"user","content":"call 10.1.2.3"}]}'));
    (my $bm = $b) =~ s/10\.1\.2\.3/[IPV4]/;
    $t->expect_allowed(files(upload_body('batch', $b), port => $port,
                             via => $via),
                       "$how: a batch file judged, then masked",
                       body => upload_body('batch', $bm));

    $t->expect_denied(files(upload_body('batch',
                                        batch(batch_line(1, 'chat-preview'))),
                            port => $port, via => $via),
                      403, 'PreviewModelBlocked',
                      "$how: azoai_pii on, batch lines judged first");

    my $r = $t->request(files(upload_body('fine-tune',
                                          "{\"messages\":[]}\n{\"a\"\n"),
                              port => $port, via => $via));
    is_denial($r, 400, 'InvalidBody', "$how: a fine-tuning line that is not "
              . 'JSON');
    like(error_message($r), qr/^line 2: /, "$how: the message names the line");

    $t->expect_denied(files(upload_body('assistants', "%PDF-1.4 jane\@x.org",
                                        'doc.pdf'), port => $port,
                            via => $via),
                      403, 'UninspectableContent',
                      "$how: content that is not JSONL is not forwarded");
    like(error_message($t->request(files(upload_body('assistants', '%PDF-1.4',
                                               'doc.pdf'),
                                   port => $port, via => $via))),
         qr/a file that is not JSONL .*azoai_pii_opaque pass/,
         "$how: the message says what and which directive passes it");
    $t->expect_allowed(req('/openai/v1/uploads/u/parts',
                           form(['data', $FT, 'blob']),
                           port => $port, via => $via),
                       "$how: an upload part of whole JSON lines is masked",
                       body => form(['data', $FT_MASKED, 'blob']));

    # a part cut inside lines at both ends, a value in each piece
    my $part = qq(ent":"from jane\@example.com \\u00e9"}]}\n)
        . qq({"messages":[{"role":"user","content":"bob\@example.org"}]}\n)
        . qq({"messages":[{"role":"user","content":"ann\@example.net \\u0);
    (my $pm = $part) =~ s/\w+\@example\.\w+/[EMAIL]/g;
    my ($up_part, $r_part) = $t->expect_allowed(
        req("/openai/uploads/upload_1/parts$V",
            form(['data', $part, 'blob', 'application/octet-stream']),
            port => $port, via => $via),
        "$how: pieces of lines at the ends of a part are scanned as text",
        body => form(['data', $pm, 'blob', 'application/octet-stream']));
    is($r_part->{headers}{'x-azoai-pii-masked'}, 3,
       "$how: 3 values in the part");

    $t->expect_denied(req('/openai/v1/uploads/u/parts',
                          form(['data', "\x89PNG\r\n\x1a\n\0\0 a\@b.org",
                                'blob']),
                          port => $port, via => $via),
                      403, 'UninspectableContent',
                      "$how: an upload part that is not JSONL is not "
                      . 'forwarded');
    $t->expect_denied(req('/openai/v1/uploads/u/parts',
                          form(['data', qq(xxxxxxxx\\q a\@example.com"}]}\n)
                                . qq({"a":1}\n), 'blob']),
                          port => $port, via => $via),
                      400, 'InvalidBody',
                      "$how: a piece that cannot be read as JSON text");
}

# a spooled fine-tuning file: 2000 lines, every 100th holding PII, and the
# first two (masked lines next to each other and to the envelope); the new
# body is a chain of the stretches as read and the masked lines
{
    my @lines = map {
        $_ % 100 && $_ > 2
            ? qq({"messages":[{"role":"user","content":"line $_"}]})
            : qq({"messages":[{"role":"user","content":)
              . qq("line $_ from jane\@example.com"}]})
    } 1 .. 2000;
    my $ft = join("\n", @lines) . "\n";
    (my $ftm = $ft) =~ s/jane\@example\.com/[EMAIL]/g;
    for my $via (undef, 'h2') {
        my $how = $via ? 'HTTP/2' : 'HTTP/1.1';
        my ($up, $r) = $t->expect_allowed(
            files(upload_body('fine-tune', $ft),
                  port => $via ? 'pii_h2' : 'pii', via => $via),
            "$how: a " . length($ft) . '-byte fine-tuning file from a temp '
            . 'file is masked', body => upload_body('fine-tune', $ftm));
        is($r->{headers}{'x-azoai-pii-masked'}, 22,
           "$how: 22 values masked");
    }
}

$t->expect_allowed(files(upload_body('assistants', "%PDF-1.4 jane\@x.org",
                                     'doc.pdf'), port => 'pii_pass'),
                   'azoai_pii_opaque pass: a file that cannot be masked '
                   . 'goes on unchanged');
$t->expect_allowed(req('/openai/v1/uploads/u/parts',
                       form(['data', "\x89PNG\r\n\x1a\n\0\0 a\@b.org",
                             'blob']), port => 'pii_pass'),
                   'azoai_pii_opaque pass: an image upload part too');
{
    my $log = '';
    for (1 .. 50) {
        $log = $t->read_file('uploads.log') // '';
        last if ($log =~ tr/\n//) >= 2;
        select undef, undef, undef, 0.1;
    }
    is($log, "1  0\n1  0\n",
       '$azoai_pii_opaque counts each passed file, nothing read as PII');
}

$t->expect_denied(files(upload_body('fine-tune', $FT), port => 'pii_block'),
                  403, 'PiiBlocked', 'azoai_pii_action block applies to '
                  . 'file lines');
$t->expect_allowed(files(upload_body('fine-tune', $FT), port => 'pii_report'),
                   'report mode: counted, forwarded unchanged');

unlike($t->error_log, qr/jane\@example\.com/, 'no PII in the error log');

ok($t->error_log_clean, 'error.log clean');

done_testing();
